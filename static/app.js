/* Every page: Chinese date picker and select placeholders on top of FAB's widgets (FAB ships English ones), and the
   confirm dialog of forms with data-confirm. */
(function ($) {
  "use strict";
  // The page takes clicks once every script of it has run (static/app.css): DOMContentLoaded comes after the last
  // script of the page, including the page's own (filing.js …) and jQuery's ready handlers registered before this.
  var ready = function () { document.documentElement.classList.add("js-ready"); };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
  if (!$) { return; }

  // Chinese labels for FAB's bootstrap-datepicker (ab.js initialises .appbuilder_date when the DOM is ready).
  if ($.fn.datepicker) {
    $.fn.datepicker.dates["zh-CN"] = {
      days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
      daysShort: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
      daysMin: ["日", "一", "二", "三", "四", "五", "六"],
      months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
      monthsShort: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
      today: "今天", clear: "清除", format: "yyyy-mm-dd", titleFormat: "yyyy年mm月", weekStart: 1
    };
    // forceParse off: what the user typed is never rewritten behind their back ("20270301" stayed as typed is
    // accepted by the server, "2031-02-31" is refused there with a message — not silently made 2031-03-03).
    $.extend($.fn.datepicker.defaults, {
      language: "zh-CN", format: "yyyy-mm-dd", autoclose: true, todayHighlight: true, weekStart: 1,
      forceParse: false
    });
  }

  // Confirm dialog before destructive POSTs (删除, 撤回, 提交审核, 通过, 停用…) on every page: <form data-confirm="…">.
  // Its title and buttons come in the page's language (#confirm-labels, templates/base_layout.html).
  function confirmDialog(message, onOk) {
    var $modal = $("#filing-confirm");
    if (!$modal.length) {
      var labels = document.getElementById("confirm-labels");
      var text = function (key, fallback) { return (labels && labels.getAttribute("data-" + key)) || fallback; };
      $modal = $(
        '<div class="modal fade" id="filing-confirm" tabindex="-1" role="dialog" aria-labelledby="confirm-title">' +
        '<div class="modal-dialog modal-sm"><div class="modal-content">' +
        '<div class="modal-header"><h4 class="modal-title" id="confirm-title"></h4></div>' +
        '<div class="modal-body"><p class="confirm-text"></p></div>' +
        '<div class="modal-footer">' +
        '<button type="button" class="btn btn-default" data-dismiss="modal" id="confirm-cancel"></button>' +
        '<button type="button" class="btn btn-primary" id="confirm-ok"></button>' +
        '</div></div></div></div>'
      ).appendTo("body");
      $modal.find("#confirm-title").text(text("title", "请确认"));
      $modal.find("#confirm-cancel").text(text("cancel", "取消"));
      $modal.find("#confirm-ok").text(text("ok", "确定"));
    }
    $modal.find(".confirm-text").text(message);
    $modal.find("#confirm-ok").off("click").on("click", function () {
      $modal.modal("hide");
      onOk();
    });
    $modal.modal("show");
  }

  $(document).on("submit", "form[data-confirm]", function (event) {
    var form = this;
    if (form.getAttribute("data-confirmed") === "yes") { return true; }
    event.preventDefault();
    var submitter = (event.originalEvent && event.originalEvent.submitter) || null;
    confirmDialog(form.getAttribute("data-confirm"), function () {
      form.setAttribute("data-confirmed", "yes");
      // requestSubmit: the clicked button's formaction is kept and static/forms.js sees the submit (busy state)
      if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
    });
    return false;
  });
  // FAB's ab.js initialises select2 with the placeholder "Select a State": show a Chinese one instead.
  $(function () {
    if (!$.fn.select2) { return; }
    $(".my_select2").each(function () {
      var $el = $(this);
      // FAB's empty choice has the value "__None": as the placeholder's id select2 shows it greyed as 请选择, and
      // its clear button (×) chooses it again, so a cleared 所属单位 saves "none" (issue 12).
      var blank = $el.find('option[value="__None"]').length ? {id: "__None", text: "请选择"} : "请选择";
      $el.select2({placeholder: blank, allowClear: true, theme: "bootstrap"});
    });
    labelWidgets();
    $(document).on("select2:open select2:select select2:unselect", labelWidgets);
  });

  // Accessible names for FAB's widgets that have none (axe "label"): the list's select-all and row checkboxes,
  // select2's inline search box; select2's chip list gets role="list" (it holds the search box next to the <li>s).
  function labelWidgets() {
    $("#check_all").attr("aria-label", "全选本页");
    $("input.action_check").each(function () {
      var $row = $(this).closest("tr");
      var text = $.trim($row.find("td").eq(1).text()).slice(0, 40);
      $(this).attr("aria-label", "选择" + (text ? "：" + text : "此行"));
    });
    $(".select2-search__field").attr("aria-label", "输入以搜索");
    $("ul.select2-selection__rendered").attr("role", "list");
    // select2's single-choice box (role=textbox) is named by its title, which it drops while the placeholder 请选择
    // shows: name it after the field's label.
    $("select.my_select2").each(function () {
      var label = $.trim($("label[for='" + this.id + "']").first().text().replace(/\*/g, ""));
      if (label) { $("#select2-" + this.id + "-container").attr("aria-label", label); }
    });
  }
  $(labelWidgets);

  // Error summary (GOV.UK pattern): a form that came back with errors gets a list of them at its top, each linking
  // to its field; the page scrolls to it and the first bad field takes the focus. Built from the fields the server
  // marked (.has-error + .field-error), so every form of the app gets it.
  $(function () {
    var $groups = $("form .has-error").filter(function () { return $(this).find(".field-error").length; });
    if (!$groups.length) { return; }
    var $form = $groups.first().closest("form");
    var $list = $("<ul></ul>");
    $groups.each(function () {
      var $group = $(this);
      var $input = $group.find("input:not([type=hidden]), select, textarea").first();
      var label = $.trim($group.find("label.control-label, label").first().text().replace(/^\*/, ""));
      $group.find(".field-error").each(function () {
        var text = (label ? label + "：" : "") + $.trim($(this).text());
        var $link = $("<a></a>").attr("href", "#" + ($input.attr("id") || "")).text(text);
        $link.on("click", function (event) { event.preventDefault(); $input.trigger("focus"); });
        $list.append($("<li></li>").append($link));
      });
    });
    var $summary = $('<div class="alert alert-danger error-summary" role="alert" tabindex="-1"></div>')
      .append($('<h4 class="error-summary-title"></h4>').text("请修改以下 " + $list.children().length + " 处后重新提交："))
      .append($list);
    var $general = $form.find(".form-errors").first();
    if ($general.length) { $general.after($summary); } else { $form.prepend($summary); }
    $summary[0].scrollIntoView({block: "start"});
    $groups.first().find("input:not([type=hidden]), select, textarea").first().trigger("focus");
  });
})(window.jQuery);
