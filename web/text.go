package web

// texts are the dashboard's words, in Chinese (the default) and English.
var texts = map[string][2]string{
	"app":            {"农技坐诊", "AgriClinic"},
	"admin":          {"管理员", "admin"},
	"reviewer":       {"审阅（只读）", "reviewer (read-only)"},
	"archive":        {"问题档案", "Archive"},
	"signin":         {"登录", "Sign in"},
	"signout":        {"退出", "Sign out"},
	"signedout":      {"已退出。需要时请在机器人私聊里再发 /dashboard。", "Signed out. Send /dashboard to the bot again when you need it."},
	"howto":          {"请在 Telegram 里私聊机器人发送 /dashboard，点收到的链接登录（10 分钟内有效，只能用一次）。", "Send /dashboard to the bot in a private chat and open the link it sends (valid 10 minutes, once)."},
	"badlink":        {"这个登录链接无效、已用过或已过期。请在机器人私聊里重新发送 /dashboard。", "This sign-in link is not valid, used or expired. Send /dashboard to the bot again."},
	"down":           {"暂时无法读取档案，请稍后再试。", "The archive cannot be reached right now; try again shortly."},
	"csrf":           {"表单已过期，请刷新页面再试。", "The form expired; reload the page and try again."},
	"nosuch":         {"没有这个问题。", "No such question."},
	"nothing":        {"没有找到问题。", "No questions found."},
	"search":         {"搜索，如 稻飞虱", "Search, e.g. planthopper"},
	"alltownships":   {"全部乡镇", "All townships"},
	"allcategories":  {"全部类别", "All categories"},
	"allstatuses":    {"全部状态", "Any status"},
	"crop":           {"作物", "Crop"},
	"go":             {"查询", "Search"},
	"question":       {"问题", "Question"},
	"township":       {"乡镇", "Township"},
	"category":       {"类别", "Category"},
	"asked":          {"提问时间", "Asked"},
	"status":         {"状态", "Status"},
	"prev":           {"上一页", "Previous"},
	"next":           {"下一页", "Next"},
	"open":           {"待认领", "open"},
	"claimed":        {"已认领", "claimed"},
	"answered":       {"已解答", "answered"},
	"closed":         {"已关闭", "closed"},
	"fb:solved":      {"已解决", "solved"},
	"fb:unsolved":    {"未解决", "not solved"},
	"fb:archive":     {"由往期解答解决", "solved from the archive"},
	"fb:none":        {"无反馈", "no feedback"},
	"original":       {"原文", "First asked"},
	"followup":       {"追问", "Follow-up"},
	"answer":         {"解答", "Answer"},
	"timeline":       {"经过", "Timeline"},
	"ev:asked":       {"提问", "asked"},
	"ev:claimed":     {"认领", "claimed"},
	"ev:answered":    {"解答", "answered"},
	"ev:followup":    {"追问", "follow-up"},
	"ev:released":    {"退回", "released"},
	"ev:expired":     {"认领超时", "claim expired"},
	"ev:transferred": {"转交", "transferred"},
	"ev:edited":      {"修改", "edited"},
	"ev:reopened":    {"重新开放", "reopened"},
	"ev:closed":      {"关闭", "closed"},
	"ev:escalated":   {"上报管理员", "escalated"},
	"ev:assigned":    {"指派", "assigned"},
	"stats":          {"统计", "Statistics"},
	"period":         {"时段", "Period"},
	"questions":      {"问题数", "Questions"},
	"withinsla":      {"按时解答", "Answered in time"},
	"claimmedian":    {"认领用时（中位数）", "Time to claim (median)"},
	"answermedian":   {"解答用时（中位数）", "Time to answer (median)"},
	"answerp90":      {"解答用时（90%）", "Time to answer (90th percentile)"},
	"sessions":       {"坐诊期数", "Clinic sessions"},
	"visitsdone":     {"完成上门服务", "Visits done"},
	"expert":         {"专家", "Expert"},
	"perweek":        {"每周问题（按类别）", "Questions per week, by category"},
	"csvhead":        {"编号,提问时间,乡镇,类别,作物,农户,问题,状态,反馈,解答时间", "number,asked,township,category,crop,farmer,question,status,feedback,answered"},
}

// tr is a text in the language; an unknown key is shown as it is.
func tr(lang, key string) string {
	t, ok := texts[key]
	switch {
	case !ok:
		return key
	case lang == "en":
		return t[1]
	}
	return t[0]
}
