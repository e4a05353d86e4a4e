// Package screenshots makes the desktop app's pictures in docs/screenshots
// from the real app: `make screenshots` runs its tests, behind the build
// tag screenshots, on a private Xvfb display with Fyne's GLFW driver, the
// dark theme, a fixed window size and fixed demo data (a fixed clock,
// fixed secrets and names, a real in-process server for the Add dialog's
// questions). The enrol site's and help desk's pictures come from the
// browser tests in server/web (browsertest.Screenshot).
//
// Without the tag, the package's one test (TestDocsShowOnlyMadePictures,
// in make test) checks that every picture README.md and docs/*.md show is
// one that make screenshots makes, and is in docs/screenshots.
package screenshots
