// Command truce is the ceasefire control and coordination centre: the server
// (serve, demo), its administration (party add, member add) and a client for
// its API (report, list, show, triage, assign, investigate, finding, publish,
// respond, evidence, link, statements), plus a load generator (bench).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"truce/agreement"
	"truce/seat"

	"truce/i18n"
)

var msg = i18n.FromEnv()

type command struct {
	name, usage string
	run         func(args []string) error
}

func commands() []command {
	return []command{
		{"serve", "serve [--addr HOST:PORT] [--data DIR] [--log-key-file FILE] [--secrets FILE]", serve},
		{"demo", "demo [--addr HOST:PORT] [--data DIR] [--log-key-file FILE] [--secrets FILE]", demoCmd},
		{"party add", "party add --id ID --name NAME [--name-in LANG=NAME ...] --kind belligerent|mediator|monitor|observer [--data DIR]", partyAdd},
		{"member add", "member add --party ID --name NAME --roles ROLE[,ROLE] [--id ID] [--key-out FILE] [--data DIR]", memberAdd},
		{"member rotate", "member rotate --member ID [--key-out FILE] [--reason TEXT] [--data DIR]", memberRotate},
		{"members", "members [--party ID]", clientMembers},
		{"parties", "parties", clientParties},
		{"report", "report --type TYPE --lon X --lat Y --text TEXT [--lang uk] [--at TIME] ... | --file REPORT.json", clientReport},
		{"list", "list [--status S] [--type T] [--party P] [--term AGREEMENT/TERM] [--from T] [--to T] [--bbox W,S,E,N] [--limit N] [--cursor C]", clientList},
		{"show", "show INCIDENT", clientShow},
		{"triage", "triage INCIDENT --priority low|normal|high|urgent [--note TEXT]", clientTriage},
		{"assign", "assign INCIDENT --monitors ID[,ID]", clientAssign},
		{"investigate", "investigate INCIDENT [--note TEXT]", clientInvestigate},
		{"finding", "finding INCIDENT --outcome OUTCOME --attribution PARTY|unknown|none --summary TEXT [--lang en] [--evidence SHA,...]", clientFinding},
		{"publish", "publish INCIDENT [--note TEXT]", clientPublish},
		{"respond", "respond INCIDENT --text TEXT [--lang ru] [--evidence SHA,...]", clientRespond},
		{"evidence", "evidence INCIDENT FILE [--name NAME] [--media-type TYPE] [--note TEXT] [--restricted]", clientEvidence},
		{"link", "link INCIDENT OTHER [--note TEXT]", clientLink},
		{"statements", "statements [--from N] [--limit N] [--all]", clientStatements},
		{"hotline open", "hotline open --kind violation|repair|movement|other [--to centre|PARTY] --subject TEXT --text TEXT [--lang en] [--lon X --lat Y --place NAME] [--ack-within 15m] [--incidents INC,...]", hotlineOpen},
		{"hotline list", "hotline list [--status open|resolved] [--party P] [--kind K]", hotlineList},
		{"hotline show", "hotline show THREAD", hotlineShow},
		{"hotline say", "hotline say THREAD --text TEXT [--lang en] [--lon X --lat Y --place NAME]", hotlineSay},
		{"hotline ack", "hotline ack THREAD MESSAGE", hotlineAck},
		{"hotline link", "hotline link THREAD INCIDENT", hotlineLink},
		{"hotline resolve", "hotline resolve THREAD [--note TEXT] [--lang en]", hotlineResolve},
		{"hotline used", "hotline used INCIDENT THREAD [--note TEXT]", hotlineUsed},
		{"hotline stats", "hotline stats", hotlineStats},
		{"sitrep daily", "sitrep daily [--date YYYY-MM-DD] [--audience internal|public] [--format text|json|csv|html|pdf] [--out FILE]", sitrepDaily},
		{"sitrep issue", "sitrep issue --date YYYY-MM-DD [--audience public|internal] [--format html|csv|json|pdf] [--lang uk] [--out FILE]", sitrepIssue},
		{"sitrep hourly", "sitrep hourly [--at TIME]", sitrepHourly},
		{"sitrep spot", "sitrep spot INCIDENT [--audience internal|public] [--format html|json|pdf] [--lang uk] [--out FILE]", sitrepSpot},
		{"sitrep verify", "sitrep verify FILE [--ledger EXPORT]", sitrepVerify},
		{"restriction record", "restriction record --subtype SUBTYPE --actor PARTY|unknown --lon X --lat Y [--place NAME] [--checkpoint NAME] --started TIME [--ended TIME] [--thread THREAD] [--incident INC] [--note TEXT]", restrictionRecord},
		{"restriction end", "restriction end RESTRICTION --ended TIME [--thread THREAD] [--note TEXT]", restrictionEnd},
		{"restriction list", "restriction list [--actor P] [--subtype S,...] [--status open|ended]", restrictionList},
		{"seats accredit", "seats accredit MEMBER --until TIME|+DURATION [--from TIME] [--replaces ACCREDITATION] [--note TEXT]", seatsAccredit},
		{"seats consent", "seats consent COUNTRY [--monitor MEMBER --incident INC] [--note TEXT]", seatsConsent(seat.Consent)},
		{"seats object", "seats object COUNTRY [--monitor MEMBER --incident INC] [--note TEXT]", seatsConsent(seat.Object)},
		{"seats", "seats [--at TIME]", seatsList},
		{"custody", "custody [INCIDENT] [--sha256 SHA]", custodyList},
		{"plans", "plans", planList},
		{"plan submit", "plan submit PLAN.json [--round ID]", planSubmit},
		{"plan share", "plan share PLAN", planShare},
		{"plan show", "plan show PLAN|AGREEMENT [--version N]", planShow},
		{"plan diff", "plan diff PLAN|AGREEMENT PLAN|AGREEMENT [...]", planDiff},
		{"plan stance", "plan stance PLAN|AGREEMENT TERM --stance accept|reject|counter [--counter TERM.json] [--note TEXT] [--version N]", planStance},
		{"agreement draft", "agreement draft AGREEMENT.json [--sources TERM=PLAN/TERM,...]", agreementDraft},
		{"agreement sign", "agreement sign AGREEMENT [--version N] [--dry-run]", agreementSign},
		{"agreement suspend", "agreement suspend AGREEMENT --reason TEXT [--from TIME] [--dry-run]", agreementChange("suspend", agreement.TypeSuspend)},
		{"agreement resume", "agreement resume AGREEMENT [--from TIME] [--dry-run]", agreementChange("resume", agreement.TypeResume)},
		{"agreement terminate", "agreement terminate AGREEMENT --reason TEXT [--from TIME] [--dry-run]", agreementChange("terminate", agreement.TypeTerminate)},
		{"agreement in-force", "agreement in-force [--at TIME]", agreementInForce},
		{"agreement export", "agreement export AGREEMENT [--version N] [--out FILE]", agreementExport},
		{"window request", "window request --id ID --purpose repair|corridor|evacuation|exchange --shape area|route|line --geometry GEOJSON|FILE [--buffer M] --parties P,P --until T --deadline T [--from T] [--title TEXT] [--site ID] [--incident ID] [--crew TEXT] [--crew-size N] [--note TEXT] [--actions A,A]", windowRequest},
		{"window list", "window list [--state S[,S]] [--at TIME]", windowList},
		{"window show", "window show ARRANGEMENT", windowShow},
		{"window guarantee", "window guarantee ARRANGEMENT", windowGuarantee},
		{"window decline", "window decline ARRANGEMENT --text TEXT", windowRespond("decline")},
		{"window conditions", "window conditions ARRANGEMENT --text TEXT", windowRespond("conditions")},
		{"window withdraw", "window withdraw ARRANGEMENT --reason TEXT", windowChange("withdraw", agreement.TypeArrangementWithdraw)},
		{"window extend", "window extend ARRANGEMENT --until T [--deadline T] [--reason TEXT]", windowChange("extend", agreement.TypeArrangementExtend)},
		{"window cut", "window cut ARRANGEMENT --until T --reason TEXT", windowChange("cut", agreement.TypeArrangementCut)},
		{"window cancel", "window cancel ARRANGEMENT --reason TEXT", windowChange("cancel", agreement.TypeArrangementCancel)},
		{"window checkin", "window checkin ARRANGEMENT --side PARTY [--lon X --lat Y] [--note TEXT]", windowCheckIn},
		{"window close", "window close ARRANGEMENT --outcome done|partly_done|aborted --reason TEXT", windowClose},
		{"alert subscribe", "alert subscribe --filter \"events=KIND[,KIND] [parties=P,P] [types=T,T] [bbox=W,S,E,N] [near_km=KM] [severity=serious]\" [--name NAME] [--webhook URL]", alertSubscribe},
		{"alert subscriptions", "alert subscriptions [--member M|all] [--status active|ended]", alertSubscriptions},
		{"alert unsubscribe", "alert unsubscribe SUBSCRIPTION", alertUnsubscribe},
		{"alert list", "alert list [--member M|all] [--kind K] [--subscription S] [--limit N]", alertList},
		{"alert deliveries", "alert deliveries [--member M|all] [--delivery pending|delivered|failed]", alertDeliveries},
		{"alert ack", "alert ack ALERT", alertAck},
		{"agreement verify", "agreement verify FILE [--ledger [--server URL] [--token T]]", agreementVerify},
		{"import sites", "import sites [--gppd CSV] [--geonuclear CSV] [--wri CSV] [--country UKR,RUS] [--radius-km 5] [--nuclear-radius-km 30] [--id 5] [--out FILE]", importSites},
		{"import areas", "import areas --adm1 ADM1.geojson [--adm2 ADM2.geojson] [--data DIR | --out FILE]", importAreas},
		{"import borders", "import borders --countries COUNTRIES.geojson [--names Belarus,Moldova,…] [--data DIR]", importBorders},
		{"import line", "import line --deepstate FILE|--snapshot FILE --outline ADM1.geojson [--land COUNTRIES.geojson] [--margin-km 3] [--id 2] [--party ID] [--out FILE]", importLine},
		{"eval", "eval --agreement FILE [--at TIME] [--type TYPE] [--all] [--json] EVENTS.geojson|.csv|.jsonl", evalCmd},
		{"refold", "refold [--data DIR] [--log-key-file FILE] [--secrets FILE]", refold},
		{"audit", "audit --data DIR | --server URL [--token T] [--log-key VKEY] [--witnesses FILE] [--json]", auditCmd},
		{"log", "log [--json]", logStatus},
		{"witness keygen", "witness keygen --name NAME --out FILE", witnessKeygen},
		{"witness", "witness --key FILE --log VKEY [--log VKEY] [--data DIR] [--addr HOST:PORT]", witnessCmd},
		{"bench ingest", "bench ingest --token T --key FILE [--duration 60s] [--rate N] [--concurrency N]", benchIngest},
	}
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		if errors.Is(err, errAuditFailed) {
			os.Exit(3)
		}
		fmt.Fprintln(os.Stderr, "truce:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(os.Stdout)
		return nil
	}
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c.run(args[len(words):])
		}
	}
	// "truce plan --help", or "truce plan" alone: the commands of that group.
	var group []command
	for _, c := range commands() {
		if strings.HasPrefix(c.name, args[0]+" ") {
			group = append(group, c)
		}
	}
	if len(group) > 0 && (len(args) == 1 || args[1] == "-h" || args[1] == "--help" || args[1] == "help") {
		fmt.Fprintln(os.Stdout, msg.T("cli.usage"))
		for _, c := range group {
			fmt.Fprintln(os.Stdout, "  truce "+c.usage)
		}
		return nil
	}
	usage(os.Stderr)
	return fmt.Errorf("%s", msg.T("cli.unknown", strings.Join(args, " ")))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, msg.T("cli.usage"))
	for _, c := range commands() {
		fmt.Fprintln(w, "  truce "+c.usage)
	}
	fmt.Fprintln(w, msg.T("cli.client_env"))
}

// flags makes a flag set whose usage line is the command's.
func flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("truce "+name, flag.ContinueOnError)
	fs.Usage = func() {
		for _, c := range commands() {
			if c.name == name {
				fmt.Fprintln(fs.Output(), "usage: truce "+c.usage)
			}
		}
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags that may come before or after positional arguments.
// given reports whether the command line set the flag name.
func given(fs *flag.FlagSet, name string) (set bool) {
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
