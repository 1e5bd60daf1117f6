/* 统计分析 (templates/statistics/dashboard.html): draws each card's chart with the vendored Apache ECharts
 * (Chinese locale, SVG renderer) from the JSON of GET /api/v1/statistics/<name> (data-api), as the card's
 * data-chart spec says (queries/statistics.py Chart: kind bar/line/pie, x fields joined as the category, series
 * field or one series per value field, stack). The table under the chart carries the same numbers. */
(function () {
  'use strict';
  if (typeof echarts === 'undefined') { return; }

  function category(row, spec) {
    return spec.x.map(function (key) { return row[key]; }).join(' ');
  }

  function unique(values) {
    var seen = [];
    values.forEach(function (v) { if (seen.indexOf(v) < 0) { seen.push(v); } });
    return seen;
  }

  function option(rows, spec) {
    var categories = unique(rows.map(function (r) { return category(r, spec); }));
    if (spec.kind === 'pie') {
      var key = spec.values[0].key;
      return {
        tooltip: {trigger: 'item', formatter: '{b}：{c}（{d}%）'},
        legend: {type: 'scroll', bottom: 0},
        series: [{type: 'pie', radius: ['35%', '65%'], name: spec.values[0].label,
                  // empty buckets stay in the table; a slice of 0 only crowds the labels
                  data: rows.filter(function (r) { return Number(r[key]) > 0; })
                    .map(function (r) { return {name: category(r, spec), value: Number(r[key])}; })}]
      };
    }
    var series;
    if (spec.series) {
      var key0 = spec.values[0].key;
      series = unique(rows.map(function (r) { return r[spec.series]; })).map(function (name) {
        return {name: name, data: categories.map(function (c) {
          return rows.filter(function (r) { return r[spec.series] === name && category(r, spec) === c; })
            .reduce(function (sum, r) { return sum + Number(r[key0]); }, 0);
        })};
      });
    } else {
      series = spec.values.map(function (value) {
        return {name: value.label, data: categories.map(function (c) {
          return rows.filter(function (r) { return category(r, spec) === c; })
            .reduce(function (sum, r) { return sum + Number(r[value.key]); }, 0);
        })};
      });
    }
    series.forEach(function (s) {
      s.type = spec.kind === 'line' ? 'line' : 'bar';
      if (spec.stack) { s.stack = 'total'; }
      s.emphasis = {focus: 'series'};
      s.barMaxWidth = 48;
    });
    return {
      tooltip: {trigger: 'axis'},
      legend: {type: 'scroll', top: 0},
      grid: {left: 8, right: 16, top: 36, bottom: 8, containLabel: true},
      xAxis: {type: 'category', data: categories, axisLabel: {interval: 0, rotate: categories.length > 6 ? 30 : 0}},
      yAxis: {type: 'value', minInterval: 1},
      series: series
    };
  }

  function message(el, text) {
    el.classList.add('stat-chart-empty');
    el.textContent = text;
  }

  function draw(el) {
    var spec = JSON.parse(el.getAttribute('data-chart'));
    fetch(el.getAttribute('data-api'), {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (body) {
        if (!body.rows || !body.rows.length) { message(el, el.getAttribute('data-empty')); return; }
        var chart = echarts.init(el, null, {locale: 'ZH', renderer: 'svg'});
        chart.setOption(option(body.rows, spec));
        el.setAttribute('data-drawn', '1');
        window.addEventListener('resize', function () { chart.resize(); });
        window.addEventListener('beforeprint', function () { chart.resize(); });
      })
      .catch(function () { message(el, el.getAttribute('data-failed')); });
  }

  document.querySelectorAll('.stat-chart[data-api]').forEach(draw);
}());
