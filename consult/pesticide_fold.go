package consult

import (
	"strings"
	"sync"
	"unicode"
)

// Names of pesticides reach answers in many forms: 百草枯, 百 草 枯, 百-草-枯, 百草枯 with a
// zero-width space inside, 對硫磷, １６０５. The matcher compares text and names folded
// alike, one character at a time:
//
//   - left out: spaces, control and invisible characters (zero-width spaces and joiners,
//     byte-order marks, bidi controls), combining marks, dashes and hyphens, underscores,
//     middle dots and bullets, asterisks and tildes, and what invalid UTF-8 decodes to.
//     Someone writing 百*草*枯 or 克·百·威 still names the product.
//   - full-width letters and digits (Ａ, １) become their ASCII forms, and ASCII letters
//     become lower-case.
//   - traditional characters become simplified ones (對→对, 殺→杀): pesticideTraditional
//     holds those of the names, crop words and context words the matcher reads, not all of
//     Chinese.
//
// Periods and commas are kept: left out, 1.605 or 1,605 would read as 1605.

// pesticideFold returns the character r reads as, and false when r is left out.
func pesticideFold(r rune) (rune, bool) {
	switch {
	case r < 0x80:
		switch {
		case 'A' <= r && r <= 'Z':
			return r + ('a' - 'A'), true
		case r <= ' ', r == 0x7f, r == '-', r == '_', r == '*', r == '~':
			return 0, false
		}
		return r, true
	case 0xff01 <= r && r <= 0xff5e: // full-width ASCII
		return pesticideFold(r - 0xfee0)
	case r == 0xb7, r == 0x2027, r == 0x2022, r == 0x2219, r == 0x30fb, r == 0xff65, r == 0x30fc, r == 0x2043:
		// · ‧ • ∙ ・ ･ ー ⁃: dots and marks written between characters
		return 0, false
	case 0x2010 <= r && r <= 0x2015, r == 0x2212, r == 0xfe63, r == 0xfe58, r == 0x301c, r == 0xff5e:
		// hyphens and dashes, the minus sign, small and wave dashes
		return 0, false
	case r == 0xfffd: // invalid UTF-8, NUL replaced at the edge
		return 0, false
	case unicode.IsSpace(r), unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r):
		return 0, false
	}
	if s, ok := pesticideTraditional[r]; ok {
		return s, true
	}
	return r, true
}

// pesticideFoldBMP holds pesticideFold's answer for every character of the Basic
// Multilingual Plane, where all of Chinese is: the folded character, or 0 when it is left
// out. Made on first use (65,536 folds, about a millisecond), not when the package loads.
var pesticideFoldBMP = sync.OnceValue(func() []uint16 {
	t := make([]uint16, 0x10000)
	for r := range rune(0x10000) {
		if f, keep := pesticideFold(r); keep {
			t[r] = uint16(f) // every fold of a BMP character is in the BMP
		}
	}
	return t
})

// foldFast is pesticideFold through the table.
func foldFast(r rune) (rune, bool) {
	if r < 0x10000 {
		f := pesticideFoldBMP()[r]
		return rune(f), f != 0
	}
	return pesticideFold(r)
}

// foldPesticide folds s as the matcher reads it.
func foldPesticide(s string) []rune {
	out := make([]rune, 0, len(s)/2)
	for _, r := range s {
		if f, ok := foldFast(r); ok {
			out = append(out, f)
		}
	}
	return out
}

// FoldPesticideText returns text as the pesticide check reads it (see pesticideFold): for
// tools and the benchmark that compare against PesticideList.Words.
func FoldPesticideText(text string) string { return string(foldPesticide(text)) }

// pesticideTraditional maps the traditional characters of the words the matcher reads to
// their simplified forms. It was written by hand from the characters of pesticides.yaml's
// names, aliases, codes and crop words and of the context words in pesticide_match.go;
// TestPesticideTraditionalTable checks it stays one-way, and TestPesticideMatchReadsTraditional
// the names. A character added to the list that has a traditional form needs its pair here.
var pesticideTraditional = func() map[rune]rune {
	m := map[rune]rune{}
	for _, pair := range strings.Fields(pesticideTraditionalPairs) {
		r := []rune(pair)
		for i := 0; i+1 < len(r); i += 2 {
			m[r[i]] = r[i+1]
		}
	}
	return m
}()

// pesticideTraditionalPairs: each pair is a traditional character (or a variant) and its
// simplified form, in the order of the simplified ones' strokes, roughly.
const pesticideTraditionalPairs = `
萬万 與与 絲丝 兩两 嚴严 個个 樂乐 買买 亞亚 畝亩 億亿 體体 剋克 兌兑 黨党 蘭兰 內内 農农
準准 別别 製制 劑剂 劇剧 勁劲 賣卖 蔔卜 衛卫 捲卷 釐厘 參参 雙双 隻只 臺台 檯台 葉叶 號号
噸吨 吳吴 週周 噴喷 園园 圓圆 塊块 頭头 薑姜 寧宁 寶宝 實实 對对 爾尔 層层 屆届 歲岁 庫库
應应 開开 異异 張张 強强 戶户 撲扑 掃扫 換换 敵敌 無无 時时 樸朴 機机 殺杀 雜杂 條条 楊杨
棗枣 樹树 樓楼 櫻樱 歐欧 沒没 潑泼 灑洒 澆浇 塗涂 濕湿 滿满 滅灭 靈灵 點点 煙烟 菸烟 燻熏
獼猕 環环 電电 碼码 矽硅 碩硕 種种 筍笋 類类 紅红 紐纽 線线 綫线 結结 絕绝 綠绿 編编 臍脐
腳脚 脫脱 蘆芦 莧苋 蒼苍 蘇苏 蘋苹 薦荐 薺荠 蓀荪 藥药 蓮莲 萵莴 蘿萝 蔥葱 藍蓝 蟲虫 蝨虱
蠅蝇 蟎螨 議议 許许 話话 該该 穀谷 購购 賽赛 蹤踪 輛辆 達达 違违 醯酰 採采 釋释 裡里 裏里
針针 鈣钙 鈉钠 納纳 鐵铁 鈴铃 鉛铅 銀银 鋅锌 銳锐 鎂镁 門门 霧雾 頁页 顆颗 風风 馬马 鮑鲍
鮮鲜 麥麦 黃黄 龍龙
`
