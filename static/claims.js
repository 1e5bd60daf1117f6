/* 补贴申请 screens: select-all checkboxes of the persons lists, page-size choice submits its search form. */
(function ($) {
  "use strict";
  if (!$) { return; }
  $(function () {
    // A header checkbox ticks every row checkbox of its list (rows belong to the form named by data-target).
    $(document).on("change", "input.pick-all", function () {
      var on = $(this).is(":checked");
      $(this).closest("table").find("input.pick-one:not(:disabled)").prop("checked", on);
    });
    // 每页 20 / 50 / 100: applied at once.
    $(document).on("change", "select.page-size", function () {
      $(this).closest("form").trigger("submit");
    });
    // 【删除】 with nothing ticked: say so instead of asking to confirm.
    $("#remove-persons").on("submit", function (event) {
      if (!$("input.pick-one[form=remove-persons]:checked").length) {
        event.preventDefault();
        event.stopImmediatePropagation();
        window.alert("请先勾选要删除的人员");
        return false;
      }
      return true;
    });
  });
})(window.jQuery);
