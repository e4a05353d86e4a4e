// One Swipe on the sign-in page: read a One Swipe QR code from the webcam.
// Frames go to the server, which decodes them (no QR library in the page)
// and keeps the code's passcode; the page only learns the user ID.
"use strict";
(function () {
  const start = document.getElementById("oneswipe-start");
  if (!start) return;
  const camera = document.getElementById("camera");
  const video = document.getElementById("video");
  const status = document.getElementById("camera-status");
  // The words come from the page (data-* of #camera), in its language.
  const say = (name) => camera.dataset[name];
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const maxSide = 1280;
  let stream = null, timer = null, busy = false;

  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
  }

  async function frame() {
    if (busy || !video.videoWidth) return;
    busy = true;
    try {
      // At most maxSide pixels on the long side, as JPEG: a few hundred
      // KB, well within the server's frame limits (docs/web.md, "Limits").
      const scale = Math.min(1, maxSide / Math.max(video.videoWidth, video.videoHeight));
      const w = Math.round(video.videoWidth * scale), h = Math.round(video.videoHeight * scale);
      const canvas = document.createElement("canvas");
      canvas.width = w; canvas.height = h;
      canvas.getContext("2d").drawImage(video, 0, 0, w, h);
      const blob = await new Promise((ok) => canvas.toBlob(ok, "image/jpeg", 0.9));
      const resp = await fetch("oneswipe/read", { method: "POST", body: blob, headers: { "X-CSRF-Token": csrf, "Content-Type": "image/jpeg" }, credentials: "same-origin" });
      const data = await resp.json();
      if (data.userid) {
        stop();
        document.getElementById("userid").value = data.userid;
        document.getElementById("swiped").hidden = false;
        status.textContent = say("read");
        camera.hidden = true;
        document.getElementById("password").focus();
      } else if (data.error) {
        status.textContent = data.error;
      } else {
        status.textContent = say("hold");
      }
    } catch (e) {
      status.textContent = say("failed");
    } finally {
      busy = false;
    }
  }

  start.addEventListener("click", async () => {
    camera.hidden = false;
    status.textContent = say("starting");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = say("unsupported");
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false });
    } catch (e) {
      status.textContent = e.name === "NotAllowedError" ? say("denied") : say("none");
      return;
    }
    video.srcObject = stream;
    status.textContent = say("hold");
    timer = setInterval(frame, 400);
  });
  document.getElementById("oneswipe-stop").addEventListener("click", () => { stop(); camera.hidden = true; });
})();
