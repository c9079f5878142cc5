package message

import (
	"flag"
	"html"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

var update = flag.Bool("update", false, "rewrite testdata/rendered/*.txt from the catalogues")

// updateCommand is what rewrites the rendered files.
const updateCommand = "go test ./bot/message -run TestRenderAll -update"

// TestRenderAll renders every scene in every language and compares it with
// testdata/rendered/<tag>.txt, so that a change of a text shows in review
// as the user sees it. With -update it rewrites the files.
func TestRenderAll(t *testing.T) {
	for _, l := range languages {
		t.Run(l.Tag, func(t *testing.T) {
			got := renderFile(l)
			path := filepath.Join("testdata", "rendered", l.Tag+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v\nwrite it with: %s", err, updateCommand)
			}
			if d := sectionDiff(string(want), got); d != "" {
				t.Errorf("%s (-) differs from what the catalogue renders (+):\n%s\nif the change is meant, run: %s", path, d, updateCommand)
			}
		})
	}
}

// TestRenderAllCoversEveryMessage renders the scenes in a language whose
// every message starts with a mark naming it, and fails for a message of
// en.toml no scene shows: a new message needs a scene.
func TestRenderAllCoversEveryMessage(t *testing.T) {
	en := catalogue(t, "en")
	bundle := i18n.NewBundle(language.English)
	for id, forms := range en {
		mark := "⟦" + id + "⟧"
		m := &i18n.Message{ID: id, Other: mark + forms["other"]}
		if one, ok := forms["one"]; ok {
			m.One = mark + one
		}
		if err := bundle.AddMessages(language.English, m); err != nil {
			t.Fatal(err)
		}
	}
	probe := &Lang{Tag: "probe", Name: "probe", loc: i18n.NewLocalizer(bundle, "en")}
	shown := map[string]bool{}
	marks := regexp.MustCompile(`⟦(\w+)⟧`)
	for _, sc := range renderScenes(probe) {
		for _, m := range marks.FindAllStringSubmatch(formatScene(sc), -1) {
			shown[m[1]] = true
		}
	}
	for _, id := range slices.Sorted(maps.Keys(en)) {
		if !shown[id] {
			t.Errorf("no scene shows message %s: add one to scenes_test.go or scenes_money_test.go", id)
		}
	}
}

// renderFile is the rendered file of l: a header, then each scene.
func renderFile(l *Lang) string {
	var sb strings.Builder
	sb.WriteString("# Every text of the bot in " + l.Name + " (" + l.Tag + "), as a user sees it: markup dropped,\n")
	sb.WriteString("# buttons in [brackets], one row a line. Written by: " + updateCommand + "\n")
	for _, sc := range renderScenes(l) {
		sb.WriteString("\n## " + sc.name + "\n" + formatScene(sc) + "\n")
	}
	return sb.String()
}

// formatScene is what the user reads of a scene: the text without markup,
// then the keyboard's rows.
func formatScene(sc scene) string {
	text := sc.text
	if !sc.plain {
		text = html.UnescapeString(htmlTag.ReplaceAllString(text, ""))
	}
	if sc.kb == nil {
		return text
	}
	var rows []string
	for _, row := range sc.kb.InlineKeyboard {
		var labels []string
		for _, b := range row {
			labels = append(labels, "["+b.Text+"]")
		}
		rows = append(rows, strings.Join(labels, " "))
	}
	return text + "\n" + strings.Join(rows, "\n")
}

// sections splits a rendered file into its scenes by name, in order.
func sections(file string) (names []string, bodies map[string]string) {
	bodies = map[string]string{}
	for _, part := range strings.Split(file, "\n## ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		names = append(names, name)
		bodies[name] = strings.TrimSuffix(body, "\n")
	}
	return names, bodies
}

// sectionDiff says which scenes changed, line by line, and which came or
// went; "" when the files are the same. It names at most 20 scenes.
func sectionDiff(want, got string) string {
	if want == got {
		return ""
	}
	wantNames, wantBodies := sections(want)
	gotNames, gotBodies := sections(got)
	var out []string
	for _, name := range gotNames {
		old, ok := wantBodies[name]
		switch {
		case !ok:
			out = append(out, "## "+name+" (new)\n"+prefixLines("+ ", gotBodies[name]))
		case old != gotBodies[name]:
			out = append(out, "## "+name+"\n"+lineDiff(old, gotBodies[name]))
		}
	}
	for _, name := range wantNames {
		if _, ok := gotBodies[name]; !ok {
			out = append(out, "## "+name+" (gone)")
		}
	}
	if len(out) == 0 {
		return "the scenes are the same but the file is not (the header or their order changed)"
	}
	if len(out) > 20 {
		out = append(out[:20], "… and more")
	}
	return strings.Join(out, "\n")
}

func prefixLines(prefix, s string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// lineDiff is a minimal line diff of two short texts: "- " for a line
// that went, "+ " for one that came.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	// lcs[i][j] is the length of the longest common subsequence of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "- "+x[i])
			i++
		default:
			out = append(out, "+ "+y[j])
			j++
		}
	}
	return strings.Join(out, "\n")
}
