/* 我的下载 → a job's progress page (templates/jobs/progress.html): polls GET /api/v1/job/<id> (the session cookie;
   read-only), moves the progress bar (role="progressbar", aria-valuenow) and the status text, and when the job is
   DONE starts the download of its file once (a job without a file — an import — reloads the page, which goes on to
   the import's result). FAILED: the message stays on the page. Polling slows from 0.5 s to 3 s. */
(function () {
  "use strict";
  var page = document.getElementById("job-page");
  if (!page) { return; }
  var url = page.getAttribute("data-status-url");
  var bar = document.getElementById("job-progress");
  var statusText = document.getElementById("job-status");
  var message = document.getElementById("job-message");
  var done = document.getElementById("job-done");
  var link = document.getElementById("job-download");
  var waiting = document.getElementById("job-waiting");
  var texts = document.getElementById("job-texts");
  var delay = 500;
  var started = page.getAttribute("data-status");

  function show(job) {
    var percent = Math.round((job.progress || 0) * 100);
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    bar.setAttribute("aria-valuenow", String(percent));
    statusText.textContent = job.status_label || job.status;
    if (job.message) { message.textContent = job.message; }
    if (job.status === "DONE" || job.status === "FAILED") {
      bar.classList.remove("active");
      bar.classList.add(job.status === "DONE" ? "progress-bar-success" : "progress-bar-danger");
      waiting.hidden = true;
    }
    if (job.status === "FAILED") {
      message.className = "text-danger";
      if (!job.message) { message.textContent = texts.getAttribute("data-failed"); }
      if (job.result && job.result.errors && job.result.errors.length && started !== "FAILED") {
        window.location.reload();  // the page lists the errors
      }
    }
  }

  function finish(job) {
    if (job.download_url) {
      link.href = job.download_url;
      done.hidden = false;
      if (started !== "DONE") { window.location.href = job.download_url; }  // once: not on a revisit
    } else if (job.status === "DONE" && started !== "DONE") {
      window.location.reload();  // e.g. an import: the page answers with its result
    }
  }

  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", url);
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      if (request.status !== 200) { retry(); return; }
      var job;
      try { job = JSON.parse(request.responseText); } catch (e) { retry(); return; }
      show(job);
      if (job.status === "DONE" || job.status === "FAILED") { finish(job); return; }
      delay = Math.min(delay * 1.5, 3000);
      window.setTimeout(poll, delay);
    };
    request.onerror = retry;
    request.send();
  }

  function retry() {
    message.textContent = texts.getAttribute("data-poll-error");
    window.setTimeout(poll, 3000);
  }

  if (started === "DONE" || started === "FAILED") { return; }
  window.setTimeout(poll, 300);
})();
