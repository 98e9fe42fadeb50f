package main

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agriclinic/agriclinic/consult"
)

// benchPesticide checks 4,096-character answers against the whole national list, every
// name, alias and code (consult.PesticideList.Check: one pass of an Aho–Corasick
// automaton over folded characters, then each hit's context). The peer is what one would
// write first: fold the answer the same way, then strings.Contains for each word of the
// list, without any of the context rules (so it does less than ours). Ours and the peer
// check the same answers in alternating rounds, after one unmeasured pass; each round's
// figure is its p99 per answer on the wall clock: the latency an expert would wait. The
// goal: p99 < 1 ms.
//
// Answers reach the bot one at a time, so the checks are spaced (pesticideGap): each
// starts as a check in the bot does, on a thread that was idle. Checked back to back, a
// run is always busy and the OS's time slices end inside some check, 1 in 40 of them on
// a loaded 2-CPU machine, putting a wait of a few milliseconds into p99 whatever the
// code; a back-to-back pass of ours is measured as well and shown beside. So is each
// check's CPU time, which a wait for a CPU does not count: the code's own cost.
func benchPesticide(_ context.Context, _ *env, sz sizes) ([]result, error) {
	list, err := consult.ParsePesticides(consult.NationalPesticides, "pesticides.yaml")
	if err != nil {
		return nil, err
	}
	words := list.Words()
	checks := 3000
	if sz.ingest < 10_000 { // -smoke
		checks = 200
	}
	r := rand.New(rand.NewPCG(7, 11))
	answers := make([]string, 64)
	for i := range answers {
		answers[i] = pesticideAnswer(r, i%4 == 0)
	}
	q := consult.PesticideQuestion{Category: "vegetables 蔬菜", Text: "白菜上蚜虫很多，用什么药？"}
	at := time.Now()

	type side struct {
		found    int
		wall     []time.Duration // every spaced check of every round
		cpuP99   []float64       // by round, µs
		measured bool            // CPU time was measured
	}
	// measure checks every answer in turn, gap apart, and returns the p99s of the wall
	// clock and of the CPU time, in µs.
	measure := func(check func(string) int, s *side, gap time.Duration) (wallP99, cpuP99 float64, wall []time.Duration) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		// Each measure starts with no garbage of the one before to collect.
		runtime.GC()
		wall, cpu := make([]time.Duration, checks), make([]time.Duration, checks)
		for i := range checks {
			if gap > 0 {
				time.Sleep(gap)
			}
			a := answers[i%len(answers)]
			start := time.Now()
			c0, ok0 := threadCPU()
			n := check(a)
			c1, ok1 := threadCPU()
			wall[i], cpu[i] = time.Since(start), c1-c0
			s.measured = ok0 && ok1
			s.found += n
		}
		µs := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
		return µs(quantile(wall, 99)), µs(quantile(cpu, 99)), wall
	}
	round := func(check func(string) int, s *side) func(int) (float64, error) {
		return func(int) (float64, error) {
			wallP99, cpuP99, wall := measure(check, s, pesticideGap)
			s.wall = append(s.wall, wall...)
			s.cpuP99 = append(s.cpuP99, cpuP99)
			return wallP99, nil
		}
	}
	oursCheck := func(a string) int { return len(list.Check(a, q, at)) }
	peerCheck := func(a string) int {
		folded, n := consult.FoldPesticideText(a), 0
		for _, w := range words {
			if strings.Contains(folded, w) {
				n++
			}
		}
		return n
	}
	var o, p side
	// One unmeasured pass of each over every answer first: the tables' first touches.
	for _, a := range answers {
		oursCheck(a)
		peerCheck(a)
	}
	ow, pw, err := alternate("pesticide check (p99, µs)", sz.rounds, round(oursCheck, &o), round(peerCheck, &p))
	if err != nil {
		return nil, err
	}
	var backToBack side
	b2b, _, _ := measure(oursCheck, &backToBack, 0)
	log.Printf("pesticide check, ours back to back: p99 %.2f µs", b2b)

	cpu := "CPU time not measured on this system"
	if o.measured && p.measured {
		cpu = fmt.Sprintf("CPU time per answer, p99: ours %s, the peer's %s", usf(median(o.cpuP99)), usf(median(p.cpuP99)))
	}
	oursP99, peerP99 := median(ow), median(pw)
	return []result{{
		name: fmt.Sprintf("pesticide check: a 4,096-character answer against the national list (%d entries, %d names, aliases and codes), per answer p50 / p99 on the wall clock, %d answers a round %v apart, a quarter naming banned ones (%d findings in all; the peer %d hits, codes out of context among them); %s; ours back to back, p99 %s",
			len(list.Entries()), len(words), checks, pesticideGap, o.found, p.found, cpu, usf(b2b)),
		figure:  fmt.Sprintf("%s / %s", us(quantile(o.wall, 50)), usf(oursP99)),
		peer:    fmt.Sprintf("strings.Contains per word %s / %s", us(quantile(p.wall, 50)), usf(peerP99)),
		ratio:   spread(ratios(ow, pw, quicker), 1),
		goal:    "p99 < 1 ms",
		verdict: verdict(oursP99 < 1000),
	}}, nil
}

// pesticideGap is the pause between two checks: answers come one at a time.
const pesticideGap = time.Millisecond

func us(d time.Duration) string { return usf(float64(d.Nanoseconds()) / 1000) }
func usf(µs float64) string     { return fmt.Sprintf("%.0f µs", µs) }

// pesticideAnswer writes an expert's answer of 4,096 characters: advice with legal
// products, doses, dates and numbers (some of them codes elsewhere: 1605亩), and, when
// banned, two banned names in it.
func pesticideAnswer(r *rand.Rand, banned bool) string {
	sentences := []string{
		"稻飞虱百丛虫量超过1000头就要防治，用吡蚜酮或烯啶虫胺对准稻株基部喷雾，田里留3厘米水层，7天后再查一次。",
		"破口前3-5天和齐穗期各用一次三环唑或稻瘟灵，预防穗颈瘟。",
		"蚜虫用吡虫啉、啶虫脒或溴氰菊酯，叶菜采收前7天停药。",
		"黄瓜霜霉病用烯酰吗啉或霜脲氰·锰锌喷雾，棚内注意通风降湿。",
		"柑橘红蜘蛛用螺螨酯或乙螨唑，春梢期每叶2头以上就要防治。",
		"李子褐腐病谢花后用戊唑醇或苯醚甲环唑喷雾，间隔10-15天。",
		"玉米田苗后除草用烟嘧磺隆加莠去津，3-5叶期喷施，每亩兑水30公斤。",
		"全镇去年推广1605亩，今年计划3911亩，每亩补贴120元。",
		"果园行间推荐生草或覆盖，必须用药时选草铵膦定向喷雾，避免喷到树干和叶片。",
		"每亩施腐熟农家肥2000公斤以上，配合深翻，酸性土可适量施石灰。",
		"请拨打农技热线0851-2016050咨询，或者到农业农村局服务大厅。",
		"茶小绿叶蝉用联苯菊酯、虫螨腈或茚虫威，严格按安全间隔期采摘。",
		"Use imidacloprid or abamectin; keep a 7-day interval before harvest.",
	}
	bad := []string{"千万不要用百草枯，", "以前用的1605乳油早就禁了，", "呋 喃 丹不能再用，", "氧化乐果不要用在蔬菜上，"}
	var b strings.Builder
	for utf8.RuneCountInString(b.String()) < 4096 {
		b.WriteString(sentences[r.IntN(len(sentences))])
	}
	s := []rune(b.String())[:4096]
	if banned {
		for range 2 {
			w := []rune(bad[r.IntN(len(bad))])
			at := r.IntN(len(s) - len(w))
			copy(s[at:], w)
		}
	}
	return string(s)
}
