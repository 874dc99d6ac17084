// The H5 chat: sends what the user types (or the payload of a button they tap) to Rasa's h5
// channel with the city app's token, and shows the replies. No framework: it is one screen.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("chat-config").textContent);
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var send = document.getElementById("send");
  var TOKEN_KEY = "xinyidai.h5.token";
  var TIMEOUT_MS = 30000;

  // The city app opens /chat#token=…; keep the token for this tab and take it out of the address.
  var match = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  var token = sessionStorage.getItem(TOKEN_KEY);

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  // Text is set as text, never as HTML; only http(s) links become anchors.
  function bubble(kind, text) {
    var div = document.createElement("div");
    div.className = "msg " + kind;
    var parts = String(text).split(/(https?:\/\/[^\s，。；）]+)/);
    parts.forEach(function (part, i) {
      if (i % 2 === 1) {
        var a = document.createElement("a");
        a.href = part;
        a.textContent = /\/chat\/report\//.test(part) ? "查看完整信用报告" : part;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        div.appendChild(a);
      } else if (part) {
        div.appendChild(document.createTextNode(part));
      }
    });
    log.appendChild(div);
    scrollDown();
    return div;
  }

  function choices(buttons) {
    var box = document.createElement("div");
    box.className = "choices";
    buttons.forEach(function (button) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = button.title;
      b.addEventListener("click", function () {
        box.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
        say(button.payload, button.title);
      });
      box.appendChild(b);
    });
    log.appendChild(box);
    scrollDown();
  }

  function show(reply) {
    if (reply.text) bubble("bot", reply.text);
    if (reply.image) {
      var div = bubble("bot", "");
      var img = document.createElement("img");
      img.src = reply.image;
      img.alt = "图片";
      div.appendChild(img);
    }
    var buttons = reply.buttons || reply.quick_replies ||
      (reply.custom && reply.custom.quick_replies) || [];
    if (buttons.length) choices(buttons);
  }

  function busy(on) {
    input.disabled = on || !token;
    send.disabled = on || !token;
  }

  function stop(message) {
    bubble("notice", message);
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    busy(false);
  }

  function say(message, shown) {
    if (!token) return;
    bubble("user", shown || message);
    busy(true);
    var typing = document.createElement("div");
    typing.className = "typing";
    typing.textContent = "正在输入…";
    log.appendChild(typing);
    scrollDown();
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    fetch(config.webhook, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
      body: JSON.stringify({ message: message }),
      signal: controller.signal
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        return { status: response.status, body: body };
      });
    }).then(function (result) {
      if (result.status === 401) {
        stop((result.body && result.body.message) || "登录已失效，请从城市 App 重新进入对话。");
      } else if (result.status >= 400 || !Array.isArray(result.body)) {
        bubble("notice", (result.body && result.body.message) || "抱歉，系统暂时繁忙，请稍后再试。");
      } else {
        result.body.forEach(show);
      }
    }).catch(function () {
      bubble("notice", "网络不给力，消息没有发出去，请稍后再试。");
    }).finally(function () {
      clearTimeout(timer);
      typing.remove();
      busy(false);
      if (token) input.focus();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || !token) return;
    input.value = "";
    say(text);
  });
  document.querySelectorAll(".quick button").forEach(function (b) {
    b.addEventListener("click", function () { say(b.dataset.payload, b.dataset.title); });
  });

  if (!token) {
    bubble("notice", "请从城市 App 打开信易贷助手（需要先登录 App）。");
    document.querySelectorAll(".quick button").forEach(function (b) { b.disabled = true; });
  }
  busy(false);

  // An event's QR code opens /chat?event=<code>: registration starts attributed to the event,
  // once per tab (a reload must not start it again).
  var event = /(?:^|[?&])event=([a-z0-9]{1,16})(?:&|$)/.exec(location.search);
  if (event && token) {
    var started = "xinyidai.h5.event." + event[1];
    if (!sessionStorage.getItem(started)) {
      sessionStorage.setItem(started, "1");
      say('/register{"event_code": "' + event[1] + '"}', "活动现场注册");
    }
  }
})();
