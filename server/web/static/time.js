// Times on the pages: the server writes them in UTC with the zone named
// (<time datetime="…" data-format="time|datetime">14:05 UTC</time>); this
// rewrites them in the reader's own time zone, in the page's language,
// naming the zone. Without script the UTC text stays, which is right too.
"use strict";
(function () {
  const lang = document.documentElement.lang || "en";
  const formats = {
    time: { hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
    datetime: { day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
  };
  document.querySelectorAll("time[datetime][data-format]").forEach((el) => {
    const when = new Date(el.getAttribute("datetime"));
    const format = formats[el.dataset.format];
    if (isNaN(when) || !format) return;
    try {
      el.textContent = when.toLocaleString(lang, format);
    } catch (e) {
      // an old browser without Intl: keep the UTC text
    }
  });
})();
