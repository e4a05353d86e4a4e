package pac

// prelude is the PAC functions that need nothing of the PC, in
// JavaScript, after Netscape's and Microsoft's descriptions; the date
// functions read the clock through __nowMillis and take an optional last
// argument "GMT".
const prelude = `
function isPlainHostName(host) { return String(host).indexOf(".") < 0; }
function dnsDomainIs(host, domain) {
	host = String(host).toLowerCase(); domain = String(domain).toLowerCase();
	return host.length >= domain.length && host.substring(host.length - domain.length) === domain;
}
function localHostOrDomainIs(host, hostdom) {
	host = String(host).toLowerCase(); hostdom = String(hostdom).toLowerCase();
	return host === hostdom || (host.indexOf(".") < 0 && hostdom.lastIndexOf(host + ".", 0) === 0);
}
function dnsDomainLevels(host) { return String(host).split(".").length - 1; }
function convert_addr(ipchars) {
	var b = String(ipchars).split(".");
	return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
}
var __days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
var __months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
function __args(a) {
	var args = Array.prototype.slice.call(a), gmt = args.length > 0 && args[args.length - 1] === "GMT";
	if (gmt) { args.pop(); }
	var d = new Date(__nowMillis());
	var now = gmt ?
		{wd: d.getUTCDay(), y: d.getUTCFullYear(), m: d.getUTCMonth(), d: d.getUTCDate(), h: d.getUTCHours(), min: d.getUTCMinutes(), s: d.getUTCSeconds()} :
		{wd: d.getDay(), y: d.getFullYear(), m: d.getMonth(), d: d.getDate(), h: d.getHours(), min: d.getMinutes(), s: d.getSeconds()};
	return {args: args, now: now};
}
function __within(lo, cur, hi) { return lo <= hi ? (lo <= cur && cur <= hi) : (cur >= lo || cur <= hi); }
function weekdayRange() {
	var a = __args(arguments), w1 = __days.indexOf(String(a.args[0]).toUpperCase());
	var w2 = a.args.length > 1 ? __days.indexOf(String(a.args[1]).toUpperCase()) : w1;
	return w1 >= 0 && w2 >= 0 && __within(w1, a.now.wd, w2);
}
function timeRange() {
	var a = __args(arguments), v = a.args.map(Number), n = a.now;
	switch (v.length) {
	case 1: return n.h === v[0];
	case 2: return v[0] <= v[1] ? (v[0] <= n.h && n.h < v[1]) : (n.h >= v[0] || n.h < v[1]);
	case 4: return __within(v[0] * 60 + v[1], n.h * 60 + n.min, v[2] * 60 + v[3]);
	case 6: return __within(v[0] * 3600 + v[1] * 60 + v[2], n.h * 3600 + n.min * 60 + n.s, v[3] * 3600 + v[4] * 60 + v[5]);
	}
	return false;
}
function __date(list) {
	var f = {};
	for (var i = 0; i < list.length; i++) {
		var m = __months.indexOf(String(list[i]).toUpperCase());
		if (m >= 0) { f.m = m; continue; }
		var x = Number(list[i]);
		if (isNaN(x)) { return null; }
		if (x > 31) { f.y = x; } else { f.d = x; }
	}
	return f;
}
function __dateKey(f, src) {
	return ((f.y !== undefined ? src.y : 0) * 12 + (f.m !== undefined ? src.m : 0)) * 32 + (f.d !== undefined ? src.d : 0);
}
function dateRange() {
	var a = __args(arguments), n = a.now, k = a.args.length;
	if (k === 0) { return false; }
	if (k % 2 === 1) {
		var f = __date(a.args);
		return f !== null && __dateKey(f, f) === __dateKey(f, n);
	}
	var lo = __date(a.args.slice(0, k / 2)), hi = __date(a.args.slice(k / 2));
	if (lo === null || hi === null) { return false; }
	var l = __dateKey(lo, lo), h = __dateKey(hi, hi), cl = __dateKey(lo, n), ch = __dateKey(hi, n);
	return l <= h ? (cl >= l && ch <= h) : (cl >= l || ch <= h);
}
`
