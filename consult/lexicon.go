package consult

import (
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// The lexicon is the little Chinese the bot understands: crops and animals, pests and
// diseases, and symptoms, each with the words farmers use for it. It is what makes 稻叶
// 卷曲 and 叶子卷起来了 the same trouble, records the crop a question is about, and
// names the pest an outbreak is of. It is deliberately small and about this work.

// Kinds of lexicon term.
const (
	TermCrop    = "crop"
	TermPest    = "pest" // pests and diseases
	TermSymptom = "symptom"
)

// Term is a thing farmers name in many ways.
type Term struct {
	Name     string // the canonical name, recorded in the archive
	Kind     string
	Variants []string
}

var lexicon = []Term{
	// Crops and animals, in the order a question most often names them.
	{"水稻", TermCrop, []string{"水稻", "稻谷", "秧苗", "稻田", "稻子", "稻", "rice", "paddy"}},
	{"玉米", TermCrop, []string{"玉米", "苞谷", "包谷", "苞米", "corn", "maize"}},
	{"小麦", TermCrop, []string{"小麦", "麦子", "wheat"}},
	{"油菜", TermCrop, []string{"油菜", "菜籽"}},
	{"马铃薯", TermCrop, []string{"马铃薯", "土豆", "洋芋", "potato"}},
	{"红薯", TermCrop, []string{"红薯", "红苕", "地瓜", "番薯"}},
	{"茶叶", TermCrop, []string{"茶叶", "茶树", "茶园", "茶苗", "茶", "tea"}},
	{"花椒", TermCrop, []string{"花椒", "青花椒", "九叶青", "藤椒", "椒树"}},
	{"辣椒", TermCrop, []string{"辣椒", "海椒", "pepper", "chili"}},
	{"烤烟", TermCrop, []string{"烤烟", "烟叶", "烟草", "tobacco"}},
	{"大豆", TermCrop, []string{"大豆", "黄豆", "soybean"}},
	{"番茄", TermCrop, []string{"番茄", "西红柿", "tomato"}},
	{"黄瓜", TermCrop, []string{"黄瓜", "cucumber"}},
	{"白菜", TermCrop, []string{"大白菜", "白菜", "包菜", "甘蓝", "cabbage"}},
	{"柑橘", TermCrop, []string{"柑橘", "橘子", "桔子", "柑子", "橙子", "citrus"}},
	{"猕猴桃", TermCrop, []string{"猕猴桃", "kiwi"}},
	{"李子", TermCrop, []string{"李子", "李树", "脆红李", "蜂糖李", "plum"}},
	{"桃", TermCrop, []string{"桃子", "桃树", "黄桃", "peach"}},
	{"生猪", TermCrop, []string{"生猪", "母猪", "仔猪", "小猪", "肥猪", "猪", "pig", "hog"}},
	{"牛", TermCrop, []string{"肉牛", "黄牛", "水牛", "牛", "cattle", "cow"}},
	{"羊", TermCrop, []string{"山羊", "绵羊", "羊", "goat", "sheep"}},
	{"鸡", TermCrop, []string{"鸡", "鸭", "鹅", "家禽", "chicken", "poultry"}},
	{"鱼", TermCrop, []string{"鱼", "稻田鱼", "fish"}},
	{"蜜蜂", TermCrop, []string{"蜜蜂", "蜂群", "bee"}},

	// Pests and diseases.
	{"稻飞虱", TermPest, []string{"稻飞虱", "飞虱", "褐飞虱", "白背飞虱", "planthopper"}},
	{"稻纵卷叶螟", TermPest, []string{"稻纵卷叶螟", "卷叶螟", "卷叶虫"}},
	{"二化螟", TermPest, []string{"二化螟", "三化螟", "钻心虫", "螟虫", "stem borer"}},
	{"稻瘟病", TermPest, []string{"稻瘟病", "稻瘟", "穗颈瘟", "叶瘟", "blast"}},
	{"纹枯病", TermPest, []string{"纹枯病", "纹枯", "sheath blight"}},
	{"稻曲病", TermPest, []string{"稻曲病", "稻曲"}},
	{"草地贪夜蛾", TermPest, []string{"草地贪夜蛾", "贪夜蛾", "fall armyworm", "armyworm"}},
	{"黏虫", TermPest, []string{"黏虫", "粘虫"}},
	{"蚜虫", TermPest, []string{"蚜虫", "腻虫", "aphid", "aphids"}},
	{"红蜘蛛", TermPest, []string{"红蜘蛛", "螨虫", "mite", "mites"}},
	{"蓟马", TermPest, []string{"蓟马", "thrips"}},
	{"茶小绿叶蝉", TermPest, []string{"茶小绿叶蝉", "小绿叶蝉", "叶蝉"}},
	{"茶饼病", TermPest, []string{"茶饼病"}},
	{"介壳虫", TermPest, []string{"介壳虫", "蚧壳虫", "蚧虫"}},
	{"白粉病", TermPest, []string{"白粉病", "powdery mildew"}},
	{"霜霉病", TermPest, []string{"霜霉病", "downy mildew"}},
	{"炭疽病", TermPest, []string{"炭疽病", "炭疽", "anthracnose"}},
	{"疫病", TermPest, []string{"晚疫病", "疫病", "blight"}},
	{"青枯病", TermPest, []string{"青枯病", "青枯"}},
	{"根腐病", TermPest, []string{"根腐病", "根腐", "烂根", "根烂", "根部腐烂", "root rot"}},
	{"病毒病", TermPest, []string{"病毒病", "花叶病"}},
	{"溃疡病", TermPest, []string{"溃疡病", "流胶"}},
	{"非洲猪瘟", TermPest, []string{"非洲猪瘟", "猪瘟", "african swine fever", "asf"}},
	{"禽流感", TermPest, []string{"禽流感", "鸡瘟", "bird flu"}},
	{"口蹄疫", TermPest, []string{"口蹄疫"}},

	// Symptoms.
	{"黄化", TermSymptom, []string{"发黄", "变黄", "黄叶", "叶黄", "泛黄", "黄化", "枯黄", "yellow", "yellowing"}},
	{"卷叶", TermSymptom, []string{"卷叶", "卷曲", "卷起", "打卷", "卷边", "curl", "curling", "curled"}},
	{"病斑", TermSymptom, []string{"病斑", "斑点", "黑斑", "褐斑", "黄斑", "白斑", "斑", "spot", "spots"}},
	{"枯萎", TermSymptom, []string{"枯萎", "枯死", "干枯", "萎蔫", "蔫", "wilt", "wilting"}},
	{"倒伏", TermSymptom, []string{"倒伏", "倒了", "lodging"}},
	{"腐烂", TermSymptom, []string{"腐烂", "烂果", "烂了", "发霉", "rot", "rotting"}},
	{"落叶", TermSymptom, []string{"落叶", "掉叶"}},
	{"落果", TermSymptom, []string{"落果", "掉果", "落花"}},
	{"虫咬", TermSymptom, []string{"虫眼", "咬食", "被咬", "吃叶", "有虫", "虫子", "bitten", "holes"}},
	{"僵苗", TermSymptom, []string{"僵苗", "长不大", "长得慢", "不长", "矮小", "stunted"}},
	{"不结果", TermSymptom, []string{"不结果", "坐果差", "不坐果", "结果少", "空壳", "瘪粒"}},
	{"白粉", TermSymptom, []string{"白粉", "白霜"}},
	{"腹泻", TermSymptom, []string{"拉稀", "腹泻", "拉肚子", "diarrhea"}},
	{"发热", TermSymptom, []string{"发烧", "发热", "高烧", "fever"}},
	{"厌食", TermSymptom, []string{"不吃食", "不吃", "厌食", "不进食"}},
	{"死亡", TermSymptom, []string{"死了", "病死", "死亡", "dying", "dead"}},
}

// normalize folds what the lexicon and the tokenizer both read the same way.
func normalize(text string) string { return strings.ToLower(norm.NFKC.String(text)) }

// variantsByLength lists every variant longest first, so 稻飞虱 is read before 稻.
var variantsByLength = func() []struct {
	word string
	term *Term
} {
	var out []struct {
		word string
		term *Term
	}
	for i := range lexicon {
		for _, v := range lexicon[i].Variants {
			out = append(out, struct {
				word string
				term *Term
			}{normalize(v), &lexicon[i]})
		}
	}
	slices.SortStableFunc(out, func(a, b struct {
		word string
		term *Term
	}) int {
		return len(b.word) - len(a.word)
	})
	return out
}()

// Terms finds the lexicon terms a text names, each once, in lexicon order. A longer
// variant hides the shorter ones inside it: 稻飞虱 is a pest, not also the crop 稻.
func Terms(text string) []Term {
	text = normalize(text)
	found := map[*Term]bool{}
	for _, v := range variantsByLength {
		if !strings.Contains(text, v.word) {
			continue
		}
		if isLatin(v.word) && !found[v.term] && !containsWord(text, v.word) {
			continue
		}
		found[v.term] = true
		// Blank the variant out so that shorter variants inside it do not count again.
		text = strings.ReplaceAll(text, v.word, strings.Repeat(" ", len(v.word)))
	}
	var out []Term
	for i := range lexicon {
		if found[&lexicon[i]] {
			out = append(out, lexicon[i])
		}
	}
	return out
}

func isLatin(s string) bool {
	for _, r := range s {
		if r >= 0x80 {
			return false
		}
	}
	return true
}

// containsWord finds a Latin word on word boundaries ("rice" not in "price").
func containsWord(text, word string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], word)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(word)
		before := start == 0 || !isWordByte(text[start-1])
		after := end == len(text) || !isWordByte(text[end])
		if before && after {
			return true
		}
		i = start + 1
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// Crop is the first crop or animal a text names, or "".
func Crop(text string) string {
	for _, t := range Terms(text) {
		if t.Kind == TermCrop {
			return t.Name
		}
	}
	return ""
}

// stopBigrams are the bigrams of how a question is asked rather than what it is about;
// they say nothing about which questions are alike.
var stopBigrams = map[string]bool{
	"怎么": true, "么办": true, "怎样": true, "什么": true, "么原": true, "原因": true, "为什": true,
	"如何": true, "请问": true, "问一": true, "一下": true, "专家": true, "谢谢": true, "老师": true,
	"是不": true, "不是": true, "了怎": true, "了什": true, "有什": true, "么药": true, "用什": true,
	"我家": true, "家的": true, "我们": true, "这个": true, "这几": true, "几天": true, "最近": true,
	"现在": true, "出现": true, "了吗": true, "吗？": true, "好的": true, "帮忙": true, "看看": true,
	"是什": true, "能不": true, "不能": true, "应该": true, "可以": true, "一些": true, "很多": true,
}
