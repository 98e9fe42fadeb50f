// The playground of `agriclinic demo`: three chats with the bot on a local Telegram.
// Everything here is drawn with DOM methods and textContent, never innerHTML, so what
// people and the bot write cannot become markup.
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("config").textContent);
  var zh = cfg.lang !== "en";
  var words = {
    group: ["村民群（农户视角）", "Village group (as a farmer)"],
    expert: ["专家私聊", "Expert's private chat"],
    admin: ["管理员私聊", "Admin's private chat"],
    as: ["身份", "You are"],
    type: ["输入消息…", "Message…"],
    typeGroup: ["输入消息，如 /ask 水稻叶子卷起来怎么办？", "Message, e.g. /ask 水稻叶子卷起来怎么办？"],
    send: ["发送", "Send"],
    reply: ["回复", "Reply"],
    replying: ["回复 ", "Replying to "],
    cancel: ["取消", "Cancel"],
    photo: ["照片", "Photo"],
    edited: ["已编辑", "edited"],
    offline: ["连接中断，正在重连…", "Connection lost, reconnecting…"],
    failed: ["发送失败", "Not sent"],
    empty: ["还没有消息", "No messages yet"],
    voice: ["[语音]", "[voice]"], video: ["[视频]", "[video]"], document: ["[文件]", "[file]"], audio: ["[音频]", "[audio]"],
    location: ["[位置]", "[location]"]
  };
  function w(key) { var t = words[key]; return t ? t[zh ? 0 : 1] : key; }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  var roles = { group: "farmer", expert: "expert", admin: "admin" };
  var panes = {};
  var version = "";
  var state = null;

  function peopleOf(role) { return cfg.people.filter(function (p) { return p.role === role; }); }

  function chosen(name) {
    var saved = parseInt(localStorage.getItem("play-" + name) || "0", 10);
    var list = peopleOf(roles[name]);
    for (var i = 0; i < list.length; i++) if (list[i].id === saved) return saved;
    return list.length ? list[0].id : 0;
  }

  function buildPane(name) {
    var root = el("section", "pane");
    root.id = "pane-" + name;
    var h = el("h2", null, name === "group" ? w("group") + " · " + cfg.group : w(name));
    var sel = el("select");
    sel.setAttribute("aria-label", w("as"));
    peopleOf(roles[name]).forEach(function (p) {
      var o = el("option", null, p.name);
      o.value = String(p.id);
      sel.appendChild(o);
    });
    h.appendChild(sel);
    var log = el("div", "log");
    log.addEventListener("scroll", function () {
      pane.stick = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    });
    var err = el("div", "error");
    var bar = el("div", "replybar");
    var barText = el("span");
    var barCancel = el("button", null, w("cancel"));
    barCancel.type = "button";
    bar.appendChild(barText);
    bar.appendChild(barCancel);
    var form = el("form", "composer");
    // Words, not an emoji: a machine without an emoji font would show a box.
    var label = el("label", "attach", w("photo"));
    var file = el("input");
    file.type = "file";
    file.accept = "image/jpeg,image/png";
    file.name = "photo";
    label.appendChild(file);
    var fileName = el("span", "photo-name");
    var text = el("textarea");
    text.name = "text";
    text.placeholder = name === "group" ? w("typeGroup") : w("type");
    var send = el("button", "send", w("send"));
    send.type = "submit";
    form.appendChild(label);
    form.appendChild(fileName);
    form.appendChild(text);
    form.appendChild(send);
    root.appendChild(h);
    root.appendChild(log);
    root.appendChild(err);
    root.appendChild(bar);
    root.appendChild(form);

    var pane = { name: name, root: root, log: log, err: err, bar: bar, barText: barText, sel: sel, text: text, file: file, replyTo: 0, as: chosen(name), shown: "" };
    sel.value = String(pane.as);
    sel.addEventListener("change", function () {
      pane.as = parseInt(sel.value, 10);
      localStorage.setItem("play-" + name, sel.value);
      setReply(pane, null);
      version = "";
      restartPoll();
    });
    barCancel.addEventListener("click", function () { setReply(pane, null); });
    file.addEventListener("change", function () { fileName.textContent = file.files.length ? file.files[0].name : ""; });
    text.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); submit(pane); }
    });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); submit(pane); });
    panes[name] = pane;
    document.getElementById("panes").appendChild(root);
  }

  function setReply(pane, m) {
    pane.replyTo = m ? m.id : 0;
    pane.bar.classList.toggle("on", !!m);
    pane.barText.textContent = m ? w("replying") + m.from + ": " + (m.text || (m.photo ? "📷" : "")) : "";
    if (m) pane.text.focus();
  }

  function submit(pane) {
    var body = new FormData();
    body.append("pane", pane.name);
    body.append("as", String(pane.as));
    body.append("text", pane.text.value);
    if (pane.replyTo) body.append("reply_to", String(pane.replyTo));
    if (pane.file.files.length) body.append("photo", pane.file.files[0]);
    pane.err.textContent = "";
    fetch("/play/send", { method: "POST", body: body }).then(function (r) {
      if (r.ok) {
        pane.text.value = "";
        pane.file.value = "";
        pane.root.querySelector(".photo-name").textContent = "";
        setReply(pane, null);
        return;
      }
      return r.json().then(function (j) { pane.err.textContent = j.error || w("failed"); });
    }).catch(function () { pane.err.textContent = w("failed"); });
  }

  function press(pane, m, data, button) {
    var body = new URLSearchParams();
    body.append("pane", pane.name);
    body.append("as", String(pane.as));
    body.append("message", String(m.id));
    body.append("data", data);
    button.disabled = true;
    fetch("/play/press", { method: "POST", body: body }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { toast(j.error || w("failed")); return; }
        if (j.toast) toast(j.toast);
      });
    }).catch(function () { toast(w("failed")); }).then(function () { button.disabled = false; });
  }

  var toastTimer = 0;
  function toast(text) {
    var t = document.getElementById("toast");
    t.textContent = text;
    t.classList.add("on");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.classList.remove("on"); }, 3500);
  }

  // Telegram's entities mark ranges of the text in UTF-16 code units, which is how
  // JavaScript indexes strings. The text is cut at every entity edge and each piece is
  // wrapped in the elements of the entities covering it.
  function formatted(text, entities) {
    var frag = document.createDocumentFragment();
    var edges = [0, text.length];
    (entities || []).forEach(function (e) { edges.push(e.offset, e.offset + e.length); });
    edges = edges.filter(function (x, i, a) { return x >= 0 && x <= text.length && a.indexOf(x) === i; }).sort(function (a, b) { return a - b; });
    for (var i = 0; i + 1 < edges.length; i++) {
      var from = edges[i], to = edges[i + 1];
      var node = document.createTextNode(text.slice(from, to));
      (entities || []).forEach(function (e) {
        if (e.offset > from || e.offset + e.length < to) return;
        var wrap = wrapperFor(e, text.slice(e.offset, e.offset + e.length));
        if (wrap) { wrap.appendChild(node); node = wrap; }
      });
      frag.appendChild(node);
    }
    return frag;
  }

  function safeURL(u) { return /^(https?:|tg:)/i.test(u) ? u : ""; }

  function wrapperFor(e, covered) {
    switch (e.type) {
      case "bold": return el("b");
      case "italic": return el("i");
      case "underline": return el("u");
      case "strikethrough": return el("s");
      case "code": return el("code");
      case "pre": return el("pre");
      case "blockquote": case "expandable_blockquote": return el("span", "bq");
      case "spoiler":
        var s = el("span", "spoiler");
        s.addEventListener("click", function () { s.classList.add("shown"); });
        return s;
      case "text_link": case "url":
        var href = safeURL(e.type === "url" ? covered : e.url || "");
        if (!href) return null;
        var a = el("a");
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        return a;
    }
    return null;
  }

  function messageNode(pane, m) {
    var mine = !m.bot && m.fromId === pane.as;
    var box = el("div", "msg" + (m.bot ? " bot" : "") + (mine ? " mine" : ""));
    box.dataset.id = String(m.id);
    box.appendChild(el("div", "who", m.from));
    if (m.reply) {
      var q = el("div", "quote");
      q.appendChild(el("b", null, m.reply.from));
      q.appendChild(document.createTextNode(m.reply.text));
      q.addEventListener("click", function () {
        var target = pane.log.querySelector('.msg[data-id="' + m.reply.id + '"]');
        if (target) { target.scrollIntoView({ block: "center" }); target.classList.add("flash"); setTimeout(function () { target.classList.remove("flash"); }, 1200); }
      });
      box.appendChild(q);
    }
    if (m.photo) {
      var img = el("img");
      img.src = "/play/file/" + encodeURIComponent(m.photo);
      img.alt = w("photo");
      // A photo that loads makes the chat taller: keep the newest message in view.
      img.addEventListener("load", function () { toBottom(pane); });
      box.appendChild(img);
    }
    if (m.media) box.appendChild(el("div", null, w(m.media)));
    if (m.location) box.appendChild(el("div", null, w("location") + " " + m.location.latitude + ", " + m.location.longitude));
    var body = el("div", "text");
    body.appendChild(formatted(m.text || "", m.entities));
    box.appendChild(body);
    if (m.buttons) {
      var kb = el("div", "kb");
      m.buttons.forEach(function (row) {
        var r = el("div");
        row.forEach(function (b) {
          var node;
          if (b.url && safeURL(b.url)) {
            node = el("a", null, b.text);
            node.href = safeURL(b.url);
            node.target = "_blank";
            node.rel = "noopener noreferrer";
          } else {
            node = el("button", null, b.text);
            node.type = "button";
            node.dataset.data = b.data || "";
            node.addEventListener("click", function () { press(pane, m, b.data || "", node); });
          }
          r.appendChild(node);
        });
        kb.appendChild(r);
      });
      box.appendChild(kb);
    }
    var meta = el("div", "meta");
    var rb = el("button", "reply-btn", "↩ " + w("reply"));
    rb.type = "button";
    rb.addEventListener("click", function () { setReply(pane, m); });
    meta.appendChild(rb);
    meta.appendChild(document.createTextNode((m.edited ? w("edited") + " " : "") + m.time));
    box.appendChild(meta);
    return box;
  }

  function draw(pane, data) {
    var key = JSON.stringify(data.messages) + "|" + pane.as;
    if (key === pane.shown) return;
    pane.shown = key;
    // Stay at the newest message unless the visitor scrolled up to read.
    pane.stick = pane.stick || !pane.drawn;
    var keep = pane.log.scrollTop;
    pane.log.textContent = "";
    if (!data.messages.length) pane.log.appendChild(el("div", "muted", w("empty")));
    data.messages.forEach(function (m) { pane.log.appendChild(messageNode(pane, m)); });
    pane.drawn = true;
    if (pane.stick) toBottom(pane); else pane.log.scrollTop = keep;
  }

  function toBottom(pane) {
    if (pane.stick) pane.log.scrollTop = pane.log.scrollHeight;
  }

  // Long polling: the server answers at once when the chats differ from our version,
  // else when they change, else after a while with 204.
  var pollGen = 0;
  function restartPoll() { pollGen++; poll(pollGen); }
  function poll(gen) {
    if (gen !== pollGen) return;
    var q = "/play/state?expert=" + panes.expert.as + "&admin=" + panes.admin.as + "&since=" + encodeURIComponent(version);
    fetch(q, { cache: "no-store" }).then(function (r) {
      if (gen !== pollGen) return;
      if (r.status === 204) { poll(gen); return; }
      if (!r.ok) throw new Error(String(r.status));
      return r.json().then(function (j) {
        if (gen !== pollGen) return;
        version = j.version;
        state = j.panes;
        ["group", "expert", "admin"].forEach(function (n) { draw(panes[n], state[n]); });
        document.body.dataset.version = version;
        poll(gen);
      });
    }).catch(function () {
      if (gen !== pollGen) return;
      toast(w("offline"));
      setTimeout(function () { poll(gen); }, 2000);
    });
  }

  ["group", "expert", "admin"].forEach(buildPane);
  restartPoll();
})();
