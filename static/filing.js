/* 备案申请 screens: commitment gate, small form helpers (the confirm dialogs of every page: static/app.js). */
(function ($) {
  "use strict";
  if (!$) { return; }

  $(function () {
    // R1: nothing can be chosen before the commitment letter is confirmed.
    var $accept = $("#commitment_accepted");
    if ($accept.length) {
      var sync = function () {
        var on = $accept.is(":checked");
        $("#type-step").prop("disabled", !on);
        $("#type-step .step-hint").toggle(!on);
      };
      $accept.on("change", sync);
      sync();
    }

    // R5: 其他培训机构名称 only matters when 其他培训机构 is chosen.
    var $inst = $("#institution_id");
    if ($inst.length) {
      var toggle = function () {
        var other = $inst.val() === "other";
        var hasError = $("#other-institution-group .has-error").length > 0;
        $("#other-institution-group").toggle(other || hasError);
      };
      $inst.on("change", toggle);
      toggle();
    }

    // R6: 线下培训 → 授课教师 required (the server checks it; the star tells the user first).
    var $mode = $("#mode");
    if ($mode.length) {
      var star = function () {
        var $label = $("label[for=teacher_id]");
        $label.find(".req").remove();
        if ($mode.val() === "OFFLINE") { $label.prepend('<span class="req">*</span>'); }
      };
      $mode.on("change", star);
      star();
    }

    // 上传材料: show the chosen file's name next to the Chinese 【选择文件】 button.
    $(document).on("change", "input.file-input", function () {
      var $shown = $(this).siblings(".file-name");
      if ($shown.data("empty") === undefined) { $shown.data("empty", $shown.text()); }  // the page's own language
      $shown.text(this.files && this.files.length ? this.files[0].name : $shown.data("empty"));
    });

    // R8: gender and birth date read from the ID number as the user types.
    var $id = $("#trainees-form #id_number");
    if ($id.length) {
      var derive = function () {
        var v = ($id.val() || "").replace(/\s+/g, "").toUpperCase();
        var out = "—";
        if (/^[0-9]{17}[0-9X]$/.test(v)) {
          var birth = v.substr(6, 4) + "-" + v.substr(10, 2) + "-" + v.substr(12, 2);
          out = (parseInt(v.charAt(16), 10) % 2 === 1 ? "男" : "女") + " / " + birth;
        }
        $("#id-derived").text(out);
      };
      $id.on("input change", derive);
      if ($id.val()) { derive(); }
    }
  });
})(window.jQuery);
