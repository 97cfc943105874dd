package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"truce/agreement"
)

var binary string

// TestMain builds the truce binary once; the tests drive it as a user would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "truce-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "truce")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// truce runs the binary to completion, in English, and returns its stdout.
func truce(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL="), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("truce %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// server is a running `truce serve` or `truce demo`.
type server struct {
	cmd    *exec.Cmd
	url    string
	stdout *bytes.Buffer
	mu     *sync.Mutex
}

// eventually waits until cond holds, looking every 20 ms for as long as a
// loaded machine may need: the tests wait on conditions, never on a guess
// of how long something takes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting, after two minutes, for %s", what)
		}
	}
}

// start runs the binary until it is ready, and returns the URL it serves:
// serve is ready once it says where it serves; the demo once it has printed
// its URL, the token table and the line to try, which comes last.
func start(t *testing.T, args ...string) *server {
	t.Helper()
	ready := func(line string) bool { return strings.Contains(line, "serving") || strings.Contains(line, "running") }
	if len(args) > 0 && args[0] == "demo" {
		ready = func(line string) bool { return strings.HasPrefix(line, "Try: ") }
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "LANG=en_US.UTF-8", "LC_ALL=")
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, stdout: &bytes.Buffer{}, mu: &sync.Mutex{}}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		urlRe := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
		for sc.Scan() {
			s.mu.Lock()
			s.stdout.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if u := urlRe.FindString(sc.Text()); u != "" && ready(sc.Text()) {
				select {
				case found <- u:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() { s.kill(syscall.SIGTERM); pw.Close() })
	select {
	case s.url = <-found:
	case <-time.After(2 * time.Minute):
		t.Fatalf("server did not start: %s", s.output())
	}
	return s
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stdout.String()
}

func (s *server) kill(sig syscall.Signal) {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(sig)
	s.cmd.Wait()
}

var tokenRe = regexp.MustCompile(`truce_[A-Za-z0-9_-]{43}`)

func addMember(t *testing.T, data string, args ...string) string {
	t.Helper()
	out := truce(t, nil, append([]string{"member", "add", "--data", data}, args...)...)
	tok := tokenRe.FindString(out)
	if tok == "" {
		t.Fatalf("no token in %q", out)
	}
	return tok
}

// A newcomer's path through the CLI: set up parties and members, start the
// server, and carry a report through verification to publication.
func TestCLIEndToEnd(t *testing.T) {
	data := t.TempDir()
	for _, p := range [][]string{{"ua", "Ukraine", "belligerent"}, {"ru", "Russia", "belligerent"}, {"ae", "UAE", "mediator"}, {"ch", "Switzerland", "monitor"}} {
		out := truce(t, nil, "party", "add", "--data", data, "--id", p[0], "--name", p[1], "--kind", p[2])
		if !strings.Contains(out, "Registered party "+p[0]) {
			t.Fatalf("party add: %q", out)
		}
	}
	ua := addMember(t, data, "--party", "ua", "--name", "Olena", "--roles", "representative")
	keyFile := filepath.Join(t.TempDir(), "ua-field.key")
	uaField := addMember(t, data, "--party", "ua", "--name", "Field unit", "--roles", "representative", "--key-out", keyFile)
	ru := addMember(t, data, "--party", "ru", "--name", "Sergei", "--roles", "representative")
	coord := addMember(t, data, "--party", "ae", "--name", "Hotline", "--roles", "coordinator")
	mon := addMember(t, data, "--id", "ch-mon", "--party", "ch", "--name", "Monitor", "--roles", "monitor")
	srv := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
	as := func(tok string, extra ...string) []string {
		return append([]string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + tok}, extra...)
	}

	out := truce(t, as(ua), "report", "--type", "missile", "--lon", "30.52", "--lat", "50.45", "--at", "2026-01-24T01:30:00Z",
		"--until", "2026-01-24T05:00:00Z", "--precision", "hour", "--launched", "12", "--intercepted", "9", "--weapon", "Kh-22",
		"--actor", "ru", "--place", "Kyiv", "--lang", "uk", "--text", "Ракетний удар по Києву.", "--json")
	var rep written
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report --json: %v\n%s", err, out)
	}
	id := fmt.Sprintf("inc-%d", rep.Statement.Seq)
	// A member holding its own key signs the report on its machine.
	out = truce(t, as(uaField, "TRUCE_KEY="+keyFile), "report", "--type", "missile", "--lon", "36.23", "--lat", "49.99",
		"--at", "2026-01-24T02:00:00Z", "--actor", "ru", "--place", "Kharkiv", "--text", "Strike on Kharkiv.")
	other := regexp.MustCompile(`inc-\d+`).FindString(out)
	if other == "" {
		t.Fatalf("signed report: %q", out)
	}

	list := truce(t, as(coord), "list", "--status", "reported")
	for _, want := range []string{id, other, "missile", "Kyiv", "2 incidents"} {
		if !strings.Contains(list, want) {
			t.Fatalf("list lacks %q:\n%s", want, list)
		}
	}
	truce(t, as(coord), "link", id, other)
	truce(t, as(coord), "triage", id, "--priority", "urgent")
	truce(t, as(coord), "assign", id, "--monitors", "ch-mon")
	truce(t, as(mon), "investigate", id, "--note", "On site 09:00")
	file := filepath.Join(t.TempDir(), "crater.txt")
	os.WriteFile(file, []byte("field note: crater 4 m wide, fragments of a Kh-22"), 0o600)
	out = truce(t, as(mon), "evidence", id, file)
	sum := sha256.Sum256([]byte("field note: crater 4 m wide, fragments of a Kh-22"))
	sha := hex.EncodeToString(sum[:])
	if !strings.Contains(out, sha) {
		t.Fatalf("evidence did not report its SHA-256: %q", out)
	}
	truce(t, as(ru), "respond", id, "--lang", "ru", "--text", "Удар наносился по военным объектам.")
	truce(t, as(mon), "finding", id, "--outcome", "no_violation", "--attribution", "ru", "--summary", "Strike confirmed; no ceasefire was in force.", "--evidence", sha)
	out = truce(t, as(coord), "publish", id)
	if !strings.Contains(out, "published") {
		t.Fatalf("publish: %q", out)
	}
	show := truce(t, as(""), "show", id) // anonymous: published incidents are public
	for _, want := range []string{"published", "no violation", "Kh-22", "crater.txt", "incident.report", "incident.publish", "Ракетний удар", "ru: [ru]"} {
		if !strings.Contains(show, want) {
			t.Fatalf("show lacks %q:\n%s", want, show)
		}
	}
	// Illegal transitions and wrong roles fail with the server's problem.
	cmd := exec.Command(binary, "triage", id, "--priority", "low")
	cmd.Env = append(os.Environ(), as(coord)...)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "409") {
		t.Fatalf("second triage: %v %s", err, out)
	}
	cmd = exec.Command(binary, "publish", other)
	cmd.Env = append(os.Environ(), as(ua)...)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "403") {
		t.Fatalf("publish by a party: %v %s", err, out)
	}
	sts := truce(t, as(coord), "statements", "--limit", "100")
	for _, want := range []string{"centre.open", "party.register", "member.add", "incident.link", "incident.finding"} {
		if !strings.Contains(sts, want) {
			t.Fatalf("statements lack %q", want)
		}
	}
	// Output follows the language of the environment.
	cmd = exec.Command(binary, "list")
	cmd.Env = append(os.Environ(), append(as(coord), "LANG=uk_UA.UTF-8", "LC_ALL=")...)
	if out, err := cmd.Output(); err != nil || !strings.Contains(string(out), "інцидент") {
		t.Fatalf("Ukrainian list: %v %s", err, out)
	}
}

// The demo command loads the scenario and prints the URL and a token per member.
func TestDemoCommand(t *testing.T) {
	data := t.TempDir()
	srv := start(t, "demo", "--data", data, "--addr", "127.0.0.1:0")
	out := srv.output()
	toks := tokenRe.FindAllString(out, -1)
	if len(toks) < 8 {
		t.Fatalf("demo printed %d tokens:\n%s", len(toks), out)
	}
	resp, err := http.Get(srv.url + "/v1/incidents?limit=100")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if len(page.Items) == 0 {
		t.Fatal("the demo has no published incidents")
	}
	// Restarting on the same data directory keeps the scenario and tokens.
	srv.kill(syscall.SIGTERM)
	again := start(t, "demo", "--data", data, "--addr", "127.0.0.1:0")
	if !strings.Contains(again.output(), toks[1]) {
		t.Fatal("restarted demo does not print the same tokens")
	}
}

// Every acknowledged statement survives SIGKILL under write load.
func TestCrashKeepsAcknowledgedStatements(t *testing.T) {
	data := t.TempDir()
	truce(t, nil, "party", "add", "--data", data, "--id", "ua", "--name", "Ukraine", "--kind", "belligerent")
	tok := addMember(t, data, "--party", "ua", "--name", "Rep", "--roles", "representative")
	body, _ := json.Marshal(map[string]any{"type": "shelling", "observed_at": "2026-01-24T03:00:00Z", "time_precision": "minute",
		"location":    map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{36.2, 47.6}}, "precision_m": 100},
		"description": map[string]string{"lang": "en", "text": "crash test"}})
	for round := 0; round < 3; round++ {
		srv := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
		var (
			mu    sync.Mutex
			acked []string
			wg    sync.WaitGroup
			stop  = make(chan struct{})
		)
		client := &http.Client{Timeout: 10 * time.Second}
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					req, _ := http.NewRequest("POST", srv.url+"/v1/incidents", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+tok)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						return // the server is gone
					}
					var out struct {
						Record struct{ ID string } `json:"record"`
					}
					json.NewDecoder(resp.Body).Decode(&out)
					resp.Body.Close()
					if resp.StatusCode == http.StatusCreated {
						mu.Lock()
						acked = append(acked, out.Record.ID)
						mu.Unlock()
					}
				}
			}()
		}
		// Kill once writes are being acknowledged, however long a loaded
		// machine takes to get there.
		eventually(t, "acknowledged writes", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(acked) >= 20
		})
		srv.kill(syscall.SIGKILL)
		close(stop)
		wg.Wait()
		if len(acked) == 0 {
			t.Fatal("no write was acknowledged before the kill")
		}
		after := start(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
		for _, id := range acked {
			req, _ := http.NewRequest("GET", after.url+"/v1/incidents/"+id, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("round %d: acknowledged %s is gone after SIGKILL (%d)", round, id, resp.StatusCode)
			}
		}
		t.Logf("round %d: %d acknowledged reports survived SIGKILL", round, len(acked))
		after.kill(syscall.SIGTERM)
	}
}

func TestTableAlignsWideCharacters(t *testing.T) {
	var b bytes.Buffer
	tw := newTable(&b)
	fmt.Fprintln(tw, "ID\t类型\t状态")
	fmt.Fprintln(tw, "inc-1\t导弹\t已报告")
	tw.Flush()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if displayWidth(lines[0][:strings.Index(lines[0], "状态")]) != displayWidth(lines[1][:strings.Index(lines[1], "已报告")]) {
		t.Fatalf("columns do not line up:\n%s", b.String())
	}
}

// demoToken finds a member's token in the demo's printed table.
func demoToken(t *testing.T, out, member string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), member+" ") {
			if tok := tokenRe.FindString(line); tok != "" {
				return tok
			}
		}
	}
	t.Fatalf("no token for %s in:\n%s", member, out)
	return ""
}

// Plans side by side, an exported agreement verified offline (and refused
// once altered), and offline evaluation of an events file.
func TestNegotiationCommands(t *testing.T) {
	data := t.TempDir()
	srv := start(t, "demo", "--data", data, "--addr", "127.0.0.1:0")
	env := []string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + demoToken(t, srv.output(), "ua-rep")}
	diff := truce(t, env, "plan", "diff", "ua-plan", "ru-plan", "abu-dhabi-ceasefire")
	for _, want := range []string{"withdrawal:mlrs", "mlrs ≥ 70 km", "mlrs ≥ 50 km", "[ru: counters]", "reference_line:ru"} {
		if !strings.Contains(diff, want) {
			t.Errorf("plan diff lacks %q:\n%s", want, diff)
		}
	}
	if help := truce(t, nil, "plan", "--help"); !strings.Contains(help, "truce plan diff") || strings.Contains(help, "truce report") {
		t.Errorf("plan --help:\n%s", help)
	}
	list := truce(t, env, "plans")
	if !strings.Contains(list, "abu-dhabi-ceasefire") || !strings.Contains(list, "ua,ru") {
		t.Errorf("plans:\n%s", list)
	}
	file := filepath.Join(t.TempDir(), "signed.json")
	truce(t, env, "agreement", "export", "abu-dhabi-ceasefire", "--out", file)
	if out := truce(t, nil, "agreement", "verify", file); !strings.Contains(out, "every signature verifies") || !strings.Contains(out, "Signed by: ua, ru") {
		t.Fatalf("verify:\n%s", out)
	}
	raw, _ := os.ReadFile(file)
	altered := filepath.Join(t.TempDir(), "altered.json")
	os.WriteFile(altered, bytes.Replace(raw, []byte(`"min_km": 70`), []byte(`"min_km": 60`), 1), 0o644)
	cmd := exec.Command(binary, "agreement", "verify", altered)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "digest") {
		t.Fatalf("verify of an altered agreement: %v\n%s", err, out)
	}
	// Without the digest to give it away, the signatures do.
	var f map[string]any
	json.Unmarshal(bytes.Replace(raw, []byte(`"min_km": 70`), []byte(`"min_km": 60`), 1), &f)
	delete(f, "digest")
	nodigest, _ := json.Marshal(f)
	os.WriteFile(altered, nodigest, 0o644)
	if out, err := exec.Command(binary, "agreement", "verify", altered).CombinedOutput(); err == nil || !strings.Contains(string(out), "different bytes") {
		t.Fatalf("verify of an altered agreement without its digest: %v\n%s", err, out)
	}
	// Against the ledger: the real file passes; a forgery signed with two
	// fresh keys under the parties' names passes on its own, not there.
	if out := truce(t, env, "agreement", "verify", file, "--ledger"); !strings.Contains(out, "the one the centre's ledger records") {
		t.Fatalf("verify --ledger:\n%s", out)
	}
	var forged agreement.File
	json.Unmarshal(raw, &forged)
	forged.Agreement.Title = agreement.Texts{"en": "A forgery"}
	forged.Digest = ""
	for i := range forged.Signatures {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		forged.Signatures[i].Key = base64.StdEncoding.EncodeToString(pub)
		forged.Signatures[i].Sig, _ = agreement.SignDocument(&forged.Agreement, priv)
	}
	fraw, _ := json.Marshal(forged)
	os.WriteFile(altered, fraw, 0o644)
	if out := truce(t, nil, "agreement", "verify", altered); !strings.Contains(out, "not whose keys they are") {
		t.Fatalf("verify of a forgery offline should warn that keys are unchecked:\n%s", out)
	}
	cmd = exec.Command(binary, "agreement", "verify", altered, "--ledger")
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "does not record this signature") {
		t.Fatalf("verify --ledger of a forgery: %v\n%s", err, out)
	}
	events := filepath.Join(t.TempDir(), "events.geojson")
	os.WriteFile(events, []byte(`{"type":"FeatureCollection","features":[
		{"type":"Feature","id":"tokmak","geometry":{"type":"Point","coordinates":[35.62,47.14]},"properties":{"type":"weapons_in_zone","weapon":"BM-21 Grad","observed_at":"2026-02-08T11:20:00Z"}},
		{"type":"Feature","id":"lviv","geometry":{"type":"Point","coordinates":[24.03,49.84]},"properties":{"type":"weapons_in_zone","weapon":"BM-21 Grad","observed_at":"2026-02-08T11:20:00Z"}}]}`), 0o644)
	out := truce(t, nil, "eval", "--agreement", file, events)
	if !strings.Contains(out, "tokmak") || !strings.Contains(out, "term 4.2 requires at least 70 km") || strings.Contains(out, "lviv") {
		t.Fatalf("eval:\n%s", out)
	}
}

// The README's walkthrough of plans and agreements, command by command:
// two plans submitted and compared, an agreement drafted and signed, and a
// report flagged against the right term.
func TestReadmeAgreementWalkthrough(t *testing.T) {
	data := t.TempDir()
	srv := start(t, "demo", "--data", data, "--addr", "127.0.0.1:0")
	out := srv.output()
	as := func(member string) []string {
		return []string{"TRUCE_SERVER=" + srv.url, "TRUCE_TOKEN=" + demoToken(t, out, member)}
	}
	ua, ru, us, mon := as("ua-rep"), as("ru-rep"), as("us-mediator"), as("tr-monitor")
	examples := "../../docs/examples/"
	truce(t, ua, "plan", "submit", examples+"plan-ua.json")
	// Private until shared.
	if cmd := exec.Command(binary, "plan", "show", "ua-march"); true {
		cmd.Env = append(os.Environ(), ru...)
		if o, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(o), "no plan") {
			t.Fatalf("Russia reads Ukraine's unshared plan: %v %s", err, o)
		}
	}
	truce(t, ua, "plan", "share", "ua-march")
	truce(t, ru, "plan", "submit", examples+"plan-ru.json")
	truce(t, ru, "plan", "share", "ru-march")
	truce(t, ru, "plan", "stance", "ua-march", "3", "--stance", "reject", "--note", "MLRS at 50 km")
	diff := truce(t, us, "plan", "diff", "ua-march", "ru-march")
	if !strings.Contains(diff, "mlrs ≥ 70 km [ru: rejects]") || !strings.Contains(diff, "mlrs ≥ 50 km") {
		t.Fatalf("plan diff:\n%s", diff)
	}
	truce(t, us, "agreement", "draft", examples+"agreement.json", "--sources", "2=ua-march/2,3=ua-march/3")
	truce(t, ua, "agreement", "sign", "march-ceasefire")
	truce(t, ru, "agreement", "sign", "march-ceasefire")
	rep := truce(t, mon, "report", "--type", "weapons_in_zone", "--lon", "35.62", "--lat", "47.14", "--weapon", "BM-21 Grad",
		"--lang", "en", "--text", "Four launchers in a tree line north of Tokmak")
	id := regexp.MustCompile(`inc-\d+`).FindString(rep)
	var show string
	eventually(t, "the centre's evaluation of "+id, func() bool {
		show = truce(t, mon, "show", id)
		return strings.Contains(show, "POSSIBLE VIOLATION")
	})
	if !strings.Contains(show, "against march-ceasefire version 1;") || !regexp.MustCompile(`observed 4\d\.\d km from the line; term 3 requires at least 70 km`).MatchString(show) {
		t.Fatalf("show %s:\n%s", id, show)
	}
	if list := truce(t, mon, "list", "--term", "march-ceasefire/3"); !strings.Contains(list, id) {
		t.Fatalf("list --term:\n%s", list)
	}
	file := filepath.Join(t.TempDir(), "march.json")
	truce(t, us, "agreement", "export", "march-ceasefire", "--out", file)
	if v := truce(t, nil, "agreement", "verify", file); !strings.Contains(v, "Signed by: ua, ru") {
		t.Fatalf("verify:\n%s", v)
	}
}
