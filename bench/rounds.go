package main

import (
	"fmt"
	"log"
	"slices"
)

// A measure with a peer runs in alternating rounds, ours then the peer's, in one process:
// on a shared machine the load moves by 2× within minutes, and one run of each, one
// after the other, compared whatever the load happened to be at each moment (the claim
// race read 1.57× asynq in one run and 0.65× in the next). Each round gives a ratio from
// two measures taken next to each other; the table shows the median ratio with the lowest
// and highest, and a goal is met only when the median ratio meets it.

// alternate runs ours and then peer, rounds times, logs each round's figures under name,
// and returns them in round order. Each is given the round's number (from 0), for names
// that must differ.
func alternate(name string, rounds int, ours, peer func(round int) (float64, error)) (o, p []float64, err error) {
	for i := range rounds {
		a, err := ours(i)
		if err != nil {
			return nil, nil, fmt.Errorf("round %d, ours: %w", i+1, err)
		}
		b, err := peer(i)
		if err != nil {
			return nil, nil, fmt.Errorf("round %d, peer: %w", i+1, err)
		}
		log.Printf("%s, round %d of %d: ours %.2f, peer %.2f", name, i+1, rounds, a, b)
		o, p = append(o, a), append(p, b)
	}
	return o, p, nil
}

// ratios divides each round's figures with f (ours over the peer's for a rate, the
// peer's over ours for a time).
func ratios(ours, peer []float64, f func(ours, peer float64) float64) []float64 {
	r := make([]float64, len(ours))
	for i := range ours {
		r[i] = f(ours[i], peer[i])
	}
	return r
}

func faster(ours, peer float64) float64  { return ours / peer } // rates: higher is better
func quicker(ours, peer float64) float64 { return peer / ours } // times: lower is better

// median of xs: the middle one, or the mean of the two middle ones.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// spread writes ratios as their median and range, with the given precision:
// "1.30× (0.95–1.61×)".
func spread(rs []float64, prec int) string {
	if len(rs) == 0 {
		return "—"
	}
	return fmt.Sprintf("%.*f× (%.*f–%.*f×)", prec, median(rs), prec, slices.Min(rs), prec, slices.Max(rs))
}
