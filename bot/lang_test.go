package bot_test

import (
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// TestLangSwitchesAPersonAndAGroup: a person's /lang overrides their app's language,
// including the notices they get as an expert; a group's /lang, allowed to admins only,
// changes what the bot posts there.
func TestLangSwitchesAPersonAndAGroup(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	expert := c.experts[0] // a Chinese app
	c.approveExpert(t, expert, "水稻")
	dm := telegramtest.PrivateChat(expert)

	bad := tg.SendText(dm, expert, "/lang fr")
	// The usage lists every language of the catalog, in the person's language.
	tg.WaitMessage(t, expert.ID, repliesTo(bad, "用法：/lang zh（中文） · /lang en（English）"))
	set := tg.SendText(dm, expert, "/lang en")
	tg.WaitMessage(t, expert.ID, repliesTo(set, "Switched to English"))
	queue := tg.SendText(dm, expert, "/queue")
	tg.WaitMessage(t, expert.ID, repliesTo(queue, "No open questions"))

	refused := tg.SendText(c.group, c.farmer, "/lang en")
	tg.WaitMessage(t, c.group.ID, repliesTo(refused, "只有本县农业农村局的管理员可以更改本群的语言")) // the farmer's app is Chinese
	group := tg.SendText(c.group, c.admin, "/lang en")
	tg.WaitMessage(t, c.group.ID, repliesTo(group, "Switched to English"))

	asked := tg.SendText(c.group, c.farmer, "/ask 水稻卷叶怎么办")
	tg.WaitMessage(t, c.group.ID, repliesTo(asked, "Question #1 received (Rice)"))
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") && contains("Question #1 · Rice")(m) })
}
