// The hotline console (坐席助手). One script for its four pages (body data set by the page's
// config): sign-in, the caller-turn page, look-ups and the objection queue. It keeps the staff
// token in this tab's sessionStorage, calls the staff API with it, and sends the agent back to
// sign-in when the token has expired. Data is always set as text, never as HTML.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("console-config").textContent);
  var API = config.api;
  var TOKEN_KEY = "xinyidai.console.token";
  var STAFF_KEY = "xinyidai.console.staff";
  var CALL_KEY = "xinyidai.console.call";
  var TIMEOUT_MS = 15000;

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function show(node, text) {
    node.textContent = text || "";
    node.hidden = !text;
  }

  function toSignIn(reason) {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(STAFF_KEY);
    location.replace("/console/login" + (reason ? "?reason=" + reason : ""));
  }

  // An API call with the staff token. 401 means the session ended (expired, revoked): sign in
  // again. Other errors reject with the backend's Chinese message.
  function api(method, path, body) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    var headers = { "Accept": "application/json" };
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers["Authorization"] = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(API + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      credentials: "omit",
    }).then(function (response) {
      clearTimeout(timer);
      if (response.status === 401 && token) {
        toSignIn("expired");
        return new Promise(function () {});  // the page is leaving
      }
      if (response.status === 204) return null;
      return response.json().catch(function () { return {}; }).then(function (data) {
        // 429 comes from nginx's sign-in limit, with no JSON of ours.
        if (response.status === 429) throw new Error("尝试过于频繁，请一分钟后再试。");
        if (!response.ok) throw new Error(data.message || "请求失败（" + response.status + "），请稍后再试。");
        return data;
      });
    }, function () {
      clearTimeout(timer);
      throw new Error("网络不通或服务无响应，请稍后再试。");
    });
  }

  function datetime(value) {
    if (!value) return "—";
    return new Date(value).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  }

  function percent(value) { return Math.round(value * 1000) / 10 + "%"; }

  // ------------------------------------------------------------------ sign-in and the header

  function signInPage() {
    var form = $("login-form");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      show($("login-error"), "");
      $("login-submit").disabled = true;
      api("POST", "/staff/sessions", { username: $("username").value.trim(), password: $("password").value })
        .then(function (data) {
          sessionStorage.setItem(TOKEN_KEY, data.token);
          sessionStorage.setItem(STAFF_KEY, JSON.stringify({
            name: data.staff.display_name, role: data.staff.role, expires_at: data.expires_at,
          }));
          location.replace("/console");
        })
        .catch(function (error) {
          show($("login-error"), error.message);
          $("password").value = "";
          $("login-submit").disabled = false;
        });
    });
  }

  function requireSignIn() {
    var staff = null;
    try { staff = JSON.parse(sessionStorage.getItem(STAFF_KEY) || "null"); } catch (e) { staff = null; }
    if (!sessionStorage.getItem(TOKEN_KEY) || !staff) { toSignIn(); return false; }
    if (staff.expires_at && new Date(staff.expires_at) <= new Date()) { toSignIn("expired"); return false; }
    $("staff-name").textContent = staff.name + "（" + staff.role + "）";
    $("sign-out").addEventListener("click", function () {
      api("DELETE", "/staff/sessions/current").catch(function () {}).then(function () {
        sessionStorage.removeItem(CALL_KEY);
        toSignIn("signed_out");
      });
    });
    return true;
  }

  // ------------------------------------------------------------------ the caller's turn

  function loadCall() {
    try { return JSON.parse(sessionStorage.getItem(CALL_KEY) || "null") || { flow: null, collected: [] }; }
    catch (e) { return { flow: null, collected: [] }; }
  }

  function saveCall(state) { sessionStorage.setItem(CALL_KEY, JSON.stringify(state)); }

  function assistPage() {
    var state = loadCall();
    var last = null;  // the latest answer, for ticking the checklist without asking Rasa again

    function renderChecklist() {
      var box = $("checklist");
      box.textContent = "";
      if (!last || !last.flow) { $("checklist-box").hidden = true; return; }
      var done = state.collected;
      var next = last.checklist.filter(function (item) { return done.indexOf(item.field) < 0; })[0];
      last.checklist.forEach(function (item) {
        var checked = done.indexOf(item.field) >= 0;
        var input = el("input", { type: "checkbox", "data-field": item.field });
        input.checked = checked;
        input.addEventListener("change", function () {
          if (input.checked) { if (state.collected.indexOf(item.field) < 0) state.collected.push(item.field); }
          else state.collected = state.collected.filter(function (f) { return f !== item.field; });
          saveCall(state);
          var upcoming = last.checklist.filter(function (i) { return state.collected.indexOf(i.field) < 0; })[0];
          $("script").textContent = upcoming ? upcoming.script : last.flow.done_script;
          renderChecklist();
        });
        var li = el("li", { className: (checked ? "done" : "") + (next && next.field === item.field ? " next" : "") },
          [el("label", {}, [input, el("span", { text: item.label })])]);
        box.appendChild(li);
      });
      var missing = last.checklist.length - last.checklist.filter(function (i) { return done.indexOf(i.field) >= 0; }).length;
      $("missing-count").textContent = missing ? "还缺 " + missing + " 项" : "已齐全";
      $("checklist-box").hidden = last.checklist.length === 0;
    }

    function lookupLink(entity) {
      if (entity.entity === "uscc") return el("a", { href: "/console/lookup#uscc=" + encodeURIComponent(entity.value), text: "查企业" });
      if (entity.entity === "ticket_id") return el("a", { href: "/console/lookup#ticket=" + encodeURIComponent(entity.value), text: "查工单" });
      return null;
    }

    function renderResult(data) {
      last = data;
      state = data.flow_state;
      saveCall(state);
      $("result").hidden = false;
      $("script").textContent = data.script;
      show($("hint"), data.hint);
      $("flow").textContent = data.flow ? data.flow.title : "—";
      $("intent").textContent = !data.intent ? "未识别"
        : data.intent.label ? data.intent.label + "（" + data.intent.name + "）" : data.intent.name;
      var confidence = $("confidence");
      confidence.textContent = data.intent ? "置信度 " + percent(data.intent.confidence) : "";
      confidence.className = "tag" + (data.confident ? " good" : " warn");
      $("ranking").textContent = data.ranking.slice(1).map(function (r) {
        return (r.label || r.name) + " " + percent(r.confidence);
      }).join("；") || "—";
      var entities = $("entities");
      entities.textContent = "";
      data.entities.forEach(function (e, i) {
        if (i) entities.appendChild(document.createTextNode("；"));
        entities.appendChild(el("span", { className: "entity", text: e.entity + "：" + e.value + " " }));
        var link = lookupLink(e);
        if (link) entities.appendChild(link);
      });
      if (!data.entities.length) entities.textContent = "—";
      renderChecklist();
    }

    $("turn-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = $("caller-text").value.trim();
      if (!text) { show($("assist-error"), "请先录入来电人说的话。"); return; }
      show($("assist-error"), "");
      $("ask").disabled = true;
      api("POST", "/staff/assist", { text: text, flow_state: state })
        .then(function (data) { renderResult(data); $("caller-text").value = ""; })
        .catch(function (error) { show($("assist-error"), error.message); })
        .then(function () { $("ask").disabled = false; $("caller-text").focus(); });
    });
    $("caller-text").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $("turn-form").requestSubmit();
      }
    });
    $("new-call").addEventListener("click", function () {
      state = { flow: null, collected: [] };
      last = null;
      saveCall(state);
      $("result").hidden = true;
      $("checklist-box").hidden = true;
      show($("assist-error"), "");
      $("caller-text").value = "";
      $("caller-text").focus();
    });
  }

  // ------------------------------------------------------------------ status changes

  // A select of the allowed next statuses, a note and a button; `done` runs after a change.
  function moveControl(ticket, done) {
    if (!ticket.next_statuses.length) return el("p", { className: "meta", text: "工单已办结，无后续状态。" });
    var select = el("select", { className: "next-status", "aria-label": "新状态" },
      ticket.next_statuses.map(function (s) { return el("option", { value: s, text: s }); }));
    var note = el("input", { type: "text", className: "move-note", maxlength: "500", placeholder: "说明（可不填，会随通知发给用户）" });
    var button = el("button", { type: "button", className: "move primary", text: "变更状态" });
    button.addEventListener("click", function () {
      button.disabled = true;
      var body = { status: select.value };
      if (note.value.trim()) body.note = note.value.trim();
      api("POST", "/staff/tickets/" + encodeURIComponent(ticket.number) + "/status", body)
        .then(function (updated) { done(null, updated); })
        .catch(function (error) { done(error); button.disabled = false; });
    });
    return el("div", { className: "move-box" }, [select, note, button]);
  }

  // ------------------------------------------------------------------ look-ups

  function purpose() { return encodeURIComponent($("purpose").value.trim() || "热线来电咨询"); }

  function ticketCard(t) {
    var box = $("ticket-result");
    box.textContent = "";
    var title = el("h3", {}, [t.number + " · " + t.kind, el("span", { className: "tag", text: t.status })]);
    if (t.overdue) title.appendChild(el("span", { className: "tag danger", text: "已逾期未转交" }));
    box.appendChild(el("h2", { text: "工单" }));
    box.appendChild(title);
    var facts = el("dl", { className: "facts" });
    function fact(label, value) { facts.appendChild(el("dt", { text: label })); facts.appendChild(el("dd", { text: value || "—" })); }
    fact("企业", t.enterprise ? t.enterprise.name + "（" + t.enterprise.uscc + "）" : "");
    if (t.record) fact("记录", t.record.category + " · " + t.record.title + "（" + t.record.status + "）");
    if (t.reason) fact("理由", t.reason);
    fact("说明", t.description);
    fact("联系电话", t.contact_phone);
    if (t.forward_deadline) fact("转交期限", t.forward_deadline);
    fact("提交时间", datetime(t.created_at));
    fact("通知渠道", t.channel);
    box.appendChild(facts);
    box.appendChild(el("h3", { text: "状态记录" }));
    box.appendChild(el("ol", { className: "history" }, t.history.map(function (h) {
      return el("li", { text: datetime(h.at) + " " + (h.from_status ? h.from_status + " → " : "") + h.to_status + "（" + h.by + "）" + (h.note ? "：" + h.note : "") });
    })));
    var message = el("p", { className: "ok", role: "status" });
    message.hidden = true;
    box.appendChild(moveControl(t, function (error, updated) {
      if (error) { show($("lookup-error"), error.message); return; }
      lookupTicket(updated.number, "工单已改为“" + updated.status + "”，已生成通知，用户将在其渠道收到。");
    }));
    box.appendChild(message);
    box.hidden = false;
    return message;
  }

  function lookupTicket(number, afterMessage) {
    show($("lookup-error"), "");
    return api("GET", "/staff/tickets/" + encodeURIComponent(number) + "?purpose=" + purpose())
      .then(function (t) { var message = ticketCard(t); show(message, afterMessage); })
      .catch(function (error) { $("ticket-result").hidden = true; show($("lookup-error"), error.message); });
  }

  function recordsList(groups) {
    var list = el("div");
    groups.forEach(function (group) {
      list.appendChild(el("h3", { text: group.category + "（" + group.records.length + "）" }));
      group.records.forEach(function (r) {
        list.appendChild(el("div", { className: "record" }, [
          el("p", {}, [r.title, r.status !== "正常" ? el("span", { className: "tag warn", text: r.status }) : null]),
          el("p", { className: "meta", text: r.authority + " · " + r.decided_on + (r.value ? " · " + r.value : "") }),
        ]));
      });
    });
    return list;
  }

  function enterpriseCard(v) {
    var box = $("enterprise-result");
    box.textContent = "";
    var reg = v.registration;
    box.appendChild(el("h2", { text: "企业" }));
    box.appendChild(el("h3", {}, [reg.name, v.white_list ? el("span", { className: "tag good", text: "白名单" }) : null,
      el("span", { className: "tag", text: v.registered_on_platform ? "已在平台注册" : "未在平台注册" })]));
    var facts = el("dl", { className: "facts" });
    function fact(label, value) { facts.appendChild(el("dt", { text: label })); facts.appendChild(el("dd", { text: value || "—" })); }
    fact("统一社会信用代码", reg.uscc);
    fact("主体类型", reg.entity_type);
    fact("法定代表人", reg.legal_representative);
    fact("成立日期", reg.established_on);
    fact("登记状态", reg.status);
    var withheld = v.evaluation_reasons_withheld ? "；另有 " + v.evaluation_reasons_withheld + " 条依据涉及未授权信息，不予显示" : "";
    fact("信用评价", v.evaluation ? v.evaluation.grade + " 级（" + v.evaluation.reasons.join("；") + withheld + "）" : "尚未评价");
    box.appendChild(facts);
    box.appendChild(el("h3", { text: "公开信用信息" }));
    box.appendChild(recordsList(v.public.filter(function (g) { return g.records.length; })));
    if (!v.public.some(function (g) { return g.records.length; })) box.appendChild(el("p", { className: "meta", text: "没有公示期内的公开信用记录。" }));
    if (v.authorized_categories.length) {
      box.appendChild(el("h3", { text: "经授权的非公开信息（" + v.authorized_categories.join("、") + "）" }));
      box.appendChild(recordsList(v.non_public));
    } else {
      box.appendChild(el("p", { className: "meta", id: "non-public-note", text: "该企业未授权平台服务台，非公开信息不予显示。" }));
    }
    box.hidden = false;
  }

  function lookupPage() {
    $("ticket-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var number = $("ticket-number").value.trim();
      if (!number) { show($("lookup-error"), "请输入工单号。"); return; }
      lookupTicket(number);
    });
    $("uscc-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var code = $("uscc").value.trim();
      if (!code) { show($("lookup-error"), "请输入统一社会信用代码。"); return; }
      show($("lookup-error"), "");
      api("GET", "/staff/enterprises/" + encodeURIComponent(code) + "?purpose=" + purpose())
        .then(enterpriseCard)
        .catch(function (error) { $("enterprise-result").hidden = true; show($("lookup-error"), error.message); });
    });
    // From the caller-turn page: /console/lookup#uscc=… or #ticket=… (a fragment stays out of logs).
    var match = /^#(uscc|ticket)=(.+)$/.exec(location.hash);
    if (match) {
      history.replaceState(null, "", location.pathname);
      var value = decodeURIComponent(match[2]);
      if (match[1] === "uscc") { $("uscc").value = value; $("uscc-form").requestSubmit(); }
      else { $("ticket-number").value = value; $("ticket-form").requestSubmit(); }
    }
  }

  // ------------------------------------------------------------------ the objection queue

  function queuePage() {
    function load(message) {
      show($("queue-error"), "");
      return api("GET", "/staff/objections/queue").then(function (data) {
        $("queue-summary").textContent = "今天 " + data.today + "：未办结 " + data.items.length + " 件，其中逾期未转交 " + data.overdue_count + " 件。";
        show($("queue-message"), message);
        var list = $("queue");
        list.textContent = "";
        if (!data.items.length) list.appendChild(el("p", { className: "card meta", text: "目前没有未办结的异议申诉。" }));
        data.items.forEach(function (item) {
          var title = el("h3", {}, [item.number, el("span", { className: "tag", text: item.status })]);
          if (item.overdue) title.appendChild(el("span", { className: "tag danger", text: "已逾期" }));
          var card = el("div", { className: "card queue-item" + (item.overdue ? " overdue" : ""), "data-number": item.number }, [
            title,
            el("p", { text: item.enterprise ? item.enterprise.name : "—" }),
            item.record ? el("p", { className: "meta", text: item.record.category + " · " + item.record.title }) : null,
            el("p", { className: "meta", text: "理由：" + (item.reason || "—") + " · 提交 " + datetime(item.created_at) }),
            el("p", { className: item.overdue ? "deadline error" : "deadline meta", text: "转交期限：" + (item.forward_deadline || "—") }),
          ]);
          card.appendChild(moveControl(item, function (error, updated) {
            if (error) { show($("queue-error"), error.message); return; }
            load("工单 " + updated.number + " 已改为“" + updated.status + "”，已生成通知，用户将在其渠道收到。");
          }));
          list.appendChild(card);
        });
      }).catch(function (error) { show($("queue-error"), error.message); });
    }
    $("queue-refresh").addEventListener("click", function () { load(); });
    load();
  }

  // ------------------------------------------------------------------ promotion events

  // An image behind the staff token: fetched with it, shown from a blob (an <img src> could not
  // carry the token).
  function imageFrom(method, path) {
    var token = sessionStorage.getItem(TOKEN_KEY);
    return fetch(API + path, { method: method, headers: { "Authorization": "Bearer " + token }, credentials: "omit" })
      .then(function (response) {
        if (response.status === 401) { toSignIn("expired"); return new Promise(function () {}); }
        if (!response.ok) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            throw new Error(data.message || "二维码生成失败（" + response.status + "），请稍后再试。");
          });
        }
        return response.blob();
      })
      .then(function (blob) { return URL.createObjectURL(blob); });
  }

  function beijingInput(value) {
    // datetime-local gives "2026-07-08T09:00": Beijing time, as the API reads a time without a zone.
    return value.length === 16 ? value + ":00" : value;
  }

  function eventsPage() {
    var staff = JSON.parse(sessionStorage.getItem(STAFF_KEY) || "{}");
    var current = null;
    var timer = null;
    var REFRESH_MS = 5000;

    function refreshStats() {
      if (!current) return;
      api("GET", "/events/" + current.id + "/stats").then(function (stats) {
        $("stat-registrations").textContent = stats.registrations;
        $("stat-enterprises").textContent = stats.enterprises;
        $("stat-authorizations").textContent = stats.authorizations;
        $("stat-applications").textContent = stats.applications;
        $("stats-updated").textContent = "每 5 秒自动刷新 · 更新于 " + datetime(new Date().toISOString());
      }).catch(function (error) { show($("events-error"), error.message); });
    }

    function open(event) {
      current = event;
      document.querySelectorAll(".event-item").forEach(function (card) {
        card.classList.toggle("current", card.getAttribute("data-id") === String(event.id));
      });
      $("event-detail").hidden = false;
      $("event-title").textContent = event.name;
      $("event-when").textContent = event.place + " · " + datetime(event.starts_at) + " 至 " + datetime(event.ends_at) + " · 活动码 " + event.code;
      $("h5-link").textContent = event.h5_url;
      $("h5-link").setAttribute("href", event.h5_url);
      $("wechat-qr").hidden = true;
      show($("wechat-qr-note"), "");
      imageFrom("GET", "/events/" + event.id + "/h5-qrcode.png")
        .then(function (url) { $("h5-qr").src = url; })
        .catch(function (error) { show($("events-error"), error.message); });
      refreshStats();
      if (timer) clearInterval(timer);
      timer = setInterval(refreshStats, REFRESH_MS);
    }

    function load(selectId) {
      return api("GET", "/events").then(function (data) {
        var list = $("events");
        list.textContent = "";
        if (!data.items.length) list.appendChild(el("p", { className: "card meta", text: "还没有推广活动。" }));
        data.items.forEach(function (event) {
          var card = el("div", { className: "card event-item", "data-id": String(event.id), tabindex: "0" }, [
            el("h3", { text: event.name }),
            el("p", { className: "meta", text: event.place + " · " + datetime(event.starts_at) }),
          ]);
          card.addEventListener("click", function () { open(event); });
          list.appendChild(card);
          if (selectId === event.id) open(event);
        });
      }).catch(function (error) { show($("events-error"), error.message); });
    }

    $("wechat-qr-make").addEventListener("click", function () {
      if (!current) return;
      $("wechat-qr-make").disabled = true;
      show($("wechat-qr-note"), "");
      imageFrom("POST", "/events/" + current.id + "/wechat-qrcode/png")
        .then(function (url) { $("wechat-qr").src = url; $("wechat-qr").hidden = false; })
        .catch(function (error) { show($("wechat-qr-note"), error.message); })
        .then(function () { $("wechat-qr-make").disabled = false; });
    });

    if (staff.role === "管理员") {
      $("event-create").hidden = false;
      $("event-form").addEventListener("submit", function (event) {
        event.preventDefault();
        show($("events-error"), "");
        $("event-submit").disabled = true;
        api("POST", "/events", {
          name: $("event-name").value.trim(),
          place: $("event-place").value.trim(),
          starts_at: beijingInput($("event-start").value),
          ends_at: beijingInput($("event-end").value),
        }).then(function (created) {
          $("event-form").reset();
          return load(created.id);
        }).catch(function (error) { show($("events-error"), error.message); })
          .then(function () { $("event-submit").disabled = false; });
      });
    }
    load();
  }

  // ------------------------------------------------------------------ start

  if (config.page === "login") { signInPage(); return; }
  if (!requireSignIn()) return;
  if (config.page === "assist") assistPage();
  else if (config.page === "lookup") lookupPage();
  else if (config.page === "queue") queuePage();
  else if (config.page === "events") eventsPage();
})();
