/* editbox: a Windows window with one focused edit control, for the typing
   tests under Wine. Every 100 ms it writes the control's text to the file
   named by its argument, so the test reads back what was typed into a
   Windows edit control, as a login form's field receives it. Its title is
   "wintest edit box " and that file's name, so that a test finds its own
   window and never one a test before it left. */
#include <windows.h>
#include <stdio.h>

static HWND edit;
static const char *out;

static LRESULT CALLBACK proc(HWND w, UINT m, WPARAM wp, LPARAM lp) {
	switch (m) {
	case WM_TIMER: {
		char text[256];
		int n = GetWindowTextA(edit, text, sizeof text);
		FILE *f = fopen(out, "wb");
		if (f) { fwrite(text, 1, n, f); fclose(f); }
		return 0;
	}
	case WM_SETFOCUS:
		SetFocus(edit);
		return 0;
	case WM_DESTROY:
		PostQuitMessage(0);
		return 0;
	}
	return DefWindowProcA(w, m, wp, lp);
}

int WINAPI WinMain(HINSTANCE h, HINSTANCE prev, LPSTR cmd, int show) {
	out = cmd;
	WNDCLASSA wc = {0};
	wc.lpfnWndProc = proc;
	wc.hInstance = h;
	wc.lpszClassName = "editbox";
	wc.hbrBackground = (HBRUSH)(COLOR_WINDOW + 1);
	RegisterClassA(&wc);
	char title[300];
	snprintf(title, sizeof title, "wintest edit box %s", cmd);
	HWND w = CreateWindowA("editbox", title, WS_OVERLAPPEDWINDOW | WS_VISIBLE, 100, 100, 400, 160, 0, 0, h, 0);
	edit = CreateWindowA("EDIT", "", WS_CHILD | WS_VISIBLE | WS_BORDER | ES_MULTILINE | ES_WANTRETURN, 10, 10, 360, 90, w, 0, h, 0);
	SetFocus(edit);
	SetTimer(w, 1, 100, 0);
	MSG msg;
	while (GetMessageA(&msg, 0, 0, 0) > 0) {
		TranslateMessage(&msg);
		DispatchMessageA(&msg);
	}
	return 0;
}
