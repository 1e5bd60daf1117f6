/* Every page (issue 12): a busy state for whatever can take more than a second, and the input of a form whose
   page had expired given back.

   1. A POST form is submitted once: the button clicked shows a spinner and 处理中…, every submit button of the form
      is disabled, a second submit (double click, Enter again, a second click on FAB's confirm OK) is dropped.
      A submit cancelled by a confirm dialog (static/filing.js, data-confirm) or a check does not make the form
      busy: the decision is taken after every other submit handler has run. Going back to the page (bfcache)
      releases it. Forms whose answer is a file download (data-busy-download) or opens another tab are released
      after a few seconds, the page staying where it is.
   2. Links that build a file (打印备案表, 导出…, 下载申请表 / 花名册: a[data-busy-download]) show the same busy state
      for a few seconds and ignore further clicks meanwhile.
   3. The fields of the last POST form are kept in this tab's sessionStorage (never passwords, files or hidden
      fields). When the answer is the 页面已过期 page (views/errors.py, an expired security token), the link back
      to the form restores them there, with a notice; any other answer forgets them.
*/
(function () {
  "use strict";

  var BUSY_TEXT = "处理中…";
  var DOWNLOAD_MS = 5000;
  var DRAFT_KEY = "app.lastPostedForm";
  var DRAFT_MS = 30 * 60 * 1000;
  var SPINNER = '<i class="fa fa-spinner fa-spin" aria-hidden="true"></i> ';

  function isPost(form) {
    return form && form.tagName === "FORM" && (form.getAttribute("method") || "get").toLowerCase() === "post";
  }

  function submitButtons(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return (el.tagName === "BUTTON" && el.type === "submit") ||
        (el.tagName === "INPUT" && (el.type === "submit" || el.type === "image"));
    });
  }

  function showBusy(el) {
    if (!el || el.hasAttribute("data-busy-label")) { return; }
    if (el.tagName === "INPUT") {
      el.setAttribute("data-busy-label", el.value);
      el.value = BUSY_TEXT;
    } else {
      el.setAttribute("data-busy-label", el.innerHTML);
      el.innerHTML = SPINNER + BUSY_TEXT;
    }
    el.classList.add("is-busy", "disabled");
    el.setAttribute("aria-disabled", "true");
  }

  function hideBusy(el) {
    if (el.hasAttribute("data-busy-label")) {
      if (el.tagName === "INPUT") { el.value = el.getAttribute("data-busy-label"); }
      else { el.innerHTML = el.getAttribute("data-busy-label"); }
      el.removeAttribute("data-busy-label");
    }
    el.classList.remove("is-busy", "disabled");
    el.removeAttribute("aria-disabled");
  }

  function markBusy(form, clicked) {
    form.setAttribute("data-busy", "yes");
    form.setAttribute("aria-busy", "true");
    var buttons = submitButtons(form);
    buttons.forEach(function (b) { b.classList.add("disabled"); b.setAttribute("aria-disabled", "true"); });
    showBusy(clicked && clicked.tagName !== "FORM" ? clicked : buttons[0]);
    // Disabled only once the browser has read the form: a disabled submitter would not send its name and value.
    window.setTimeout(function () {
      if (form.getAttribute("data-busy") === "yes") { buttons.forEach(function (b) { b.disabled = true; }); }
    }, 0);
    if (form.hasAttribute("data-busy-download") || (form.getAttribute("target") || "_self") !== "_self") {
      window.setTimeout(function () { release(form); }, DOWNLOAD_MS);
    }
  }

  function release(form) {
    form.removeAttribute("data-busy");
    form.removeAttribute("aria-busy");
    form.removeAttribute("data-confirmed"); // back on the page: a confirm dialog asks again
    submitButtons(form).forEach(function (b) { b.disabled = false; hideBusy(b); });
  }

  // The button that submitted a form, for submits that do not name it (filing.js's requestSubmit after a dialog).
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("button, input[type=submit], input[type=image]");
    if (el && el.form && submitButtons(el.form).indexOf(el) >= 0) { el.form._lastSubmitter = el; }
  }, true);

  // A busy form drops any further submit before other handlers see it (no second confirm dialog either).
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (isPost(form) && form.getAttribute("data-busy") === "yes") {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // After every handler of the page (bubbling ends at window): a submit nobody cancelled goes out — busy.
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (!isPost(form) || event.defaultPrevented) { return; }
    saveDraft(form);
    markBusy(form, event.submitter || form._lastSubmitter);
  });

  // FAB's list / show actions and confirm dialog submit with jQuery's .trigger("submit"), which runs jQuery
  // handlers but fires no native submit event.
  if (window.jQuery) {
    window.jQuery(document).on("submit", "form", function (event) {
      if (event.originalEvent || !isPost(this)) { return; }
      if (this.getAttribute("data-busy") === "yes") { event.preventDefault(); return; }
      var form = this;
      form.setAttribute("data-busy", "yes");
      window.setTimeout(function () { // after the other jQuery handlers: only a submit that goes out stays busy
        if (event.isDefaultPrevented()) { release(form); return; }
        markBusy(form, null);
        var ok = window.jQuery("[id=modal-confirm-ok]:visible")[0]; // (FAB's show page has the dialog twice)
        if (ok) {
          showBusy(ok);
          window.setTimeout(function () { hideBusy(ok); }, DOWNLOAD_MS);
        }
      }, 0);
    });
  }

  // Links that build a file.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-busy-download]");
    if (!link) { return; }
    if (link.getAttribute("data-busy") === "yes") { event.preventDefault(); return; }
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
    link.setAttribute("data-busy", "yes");
    showBusy(link);
    window.setTimeout(function () { link.removeAttribute("data-busy"); hideBusy(link); }, DOWNLOAD_MS);
  });

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-busy]"), release);
    Array.prototype.forEach.call(document.querySelectorAll("a[data-busy]"), function (link) {
      link.removeAttribute("data-busy");
      hideBusy(link);
    });
  });

  // ---- the input of an expired form -----------------------------------------------------------------------

  function here() { return window.location.pathname + window.location.search; }

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function keptField(el) {
    if (!el.name || el.disabled || el.name === "csrf_token") { return false; }
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") { return true; }
    return el.tagName === "INPUT" &&
      ["password", "file", "hidden", "submit", "button", "image", "reset"].indexOf(el.type) < 0;
  }

  function saveDraft(form) {
    var store = storage();
    // Login and password forms are not kept (nothing worth keeping), nor do they replace a draft waiting for the
    // user to log in again and come back to the expired form.
    if (!store || form.querySelector("input[type=password]")) { return; }
    var forms = Array.prototype.slice.call(document.querySelectorAll("form"));
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!keptField(el)) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        fields.push({name: el.name, value: el.value, checked: el.checked});
      } else if (el.tagName === "SELECT" && el.multiple) {
        fields.push({name: el.name, values: Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; })});
      } else if (String(el.value).length <= 20000) {
        fields.push({name: el.name, value: el.value});
      }
    });
    try {
      store.setItem(DRAFT_KEY, JSON.stringify({
        url: here(), id: form.id || "", action: form.getAttribute("action") || "", index: forms.indexOf(form),
        fields: fields, restore: false, savedAt: Date.now()}));
    } catch (e) { /* storage full or refused: nothing kept */ }
  }

  function findForm(draft) {
    var forms = Array.prototype.slice.call(document.querySelectorAll("form"));
    if (draft.id && document.getElementById(draft.id) && document.getElementById(draft.id).tagName === "FORM") {
      return document.getElementById(draft.id);
    }
    var same = forms.filter(function (f) { return (f.getAttribute("action") || "") === draft.action && isPost(f); });
    return same.length === 1 ? same[0] : forms[draft.index] || null;
  }

  function restoreDraft(form, draft) {
    var $ = window.jQuery;
    var restored = 0;
    draft.fields.forEach(function (field) {
      var els = Array.prototype.filter.call(form.elements, function (el) {
        return el.name === field.name && keptField(el);
      });
      els.forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.value === field.value) { el.checked = field.checked; restored += 1; }
        } else if (el.tagName === "SELECT" && el.multiple) {
          Array.prototype.forEach.call(el.options, function (o) { o.selected = field.values.indexOf(o.value) >= 0; });
          restored += 1;
        } else {
          el.value = field.value;
          restored += 1;
        }
        if ($) { $(el).trigger("change"); }
      });
    });
    if (!restored) { return; }
    var note = document.createElement("div");
    note.className = "alert alert-info";
    note.id = "form-restored";
    note.setAttribute("role", "status");
    note.textContent = "已恢复您刚才填写的内容（尚未保存；密码和文件需重新填写或选择），请核对后重新提交。";
    form.parentNode.insertBefore(note, form);
  }

  function onLoad() {
    var store = storage();
    if (!store) { return; }
    var draft = null;
    try { draft = JSON.parse(store.getItem(DRAFT_KEY) || "null"); } catch (e) { draft = null; }
    if (!draft) { return; }
    if (document.getElementById("form-expired")) {
      draft.restore = true; // the link back to the form gives the input back
      store.setItem(DRAFT_KEY, JSON.stringify(draft));
      return;
    }
    if (draft.restore && draft.url === here()) {
      store.removeItem(DRAFT_KEY);
      var form = findForm(draft);
      if (form) { restoreDraft(form, draft); }
    } else if (!draft.restore || Date.now() - (draft.savedAt || 0) > DRAFT_MS) {
      store.removeItem(DRAFT_KEY); // the form was saved (or the draft is old): nothing to give back
    } // else: on the way back to the form (e.g. through the login page)
  }

  if (window.jQuery) { window.jQuery(onLoad); } // after app.js has set up select2, so restored choices show
  else if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", onLoad); }
  else { onLoad(); }
})();
