/* Every page: Chinese date picker and select placeholders on top of FAB's widgets (FAB ships English ones). */
(function ($) {
  "use strict";
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
    $.extend($.fn.datepicker.defaults, {
      language: "zh-CN", format: "yyyy-mm-dd", autoclose: true, todayHighlight: true, weekStart: 1
    });
  }

  // FAB's ab.js initialises select2 with the placeholder "Select a State": show a Chinese one instead.
  $(function () {
    if (!$.fn.select2) { return; }
    $(".my_select2").each(function () {
      var $el = $(this);
      $el.select2({placeholder: "请选择", allowClear: true, theme: "bootstrap"});
    });
  });
})(window.jQuery);
