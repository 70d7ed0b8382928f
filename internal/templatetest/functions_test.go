package templatetest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// ---- runtime ---------------------------------------------------------------------

// runtimeRule: every function is a Go bootstrap on provided.al2023, arm64,
// built by the Makefile (no Docker), with Secure cookies.
func runtimeRule(tp *tmpl) []string {
	var problems []string
	fns := tp.functions()
	if len(fns) == 0 {
		return []string{"the template has no functions"}
	}
	for _, fn := range fns {
		if rt := str(tp.fnProp(fn, "Runtime")); rt != "provided.al2023" {
			problems = append(problems, fmt.Sprintf("%s: Runtime %q, want provided.al2023", fn, rt))
		}
		if h := str(tp.fnProp(fn, "Handler")); h != "bootstrap" {
			problems = append(problems, fmt.Sprintf("%s: Handler %q, want bootstrap", fn, h))
		}
		archs := items(tp.fnProp(fn, "Architectures"))
		if len(archs) != 1 || (str(archs[0]) != "arm64" && tp.paramDefault(ref(archs[0])) != "arm64") {
			problems = append(problems, fmt.Sprintf("%s: Architectures %s, want arm64 (literally or as a parameter's default)", fn, show(archs)))
		}
		if b := str(at(tp.resources()[fn], "Metadata", "BuildMethod")); b != "makefile" {
			problems = append(problems, fmt.Sprintf("%s: Metadata.BuildMethod %q, want makefile (sam build without Docker)", fn, b))
		}
		if v := tp.fnEnv(fn)["COOKIE_SECURE"]; str(v) != "true" {
			problems = append(problems, fmt.Sprintf("%s: COOKIE_SECURE is %s, want \"true\" in AWS (Secure cookies, __Host-session)", fn, show(v)))
		}
	}
	return problems
}

func TestFunctionsAreArm64GoOnProvidedAL2023(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, runtimeRule)
	expectCaught(t, tp, runtimeRule, []breakage{
		{"x86_64 default", func(r map[string]any) { set(r, "x86_64", "Parameters", "Architecture", "Default") }, "want arm64"},
		{"go1.x runtime", func(r map[string]any) { set(r, "go1.x", "Globals", "Function", "Runtime") }, "want provided.al2023"},
		{"docker build", func(r map[string]any) { set(r, "go1.x", "Resources", "CartFunction", "Metadata", "BuildMethod") }, "want makefile"},
		{"insecure cookies", func(r map[string]any) {
			set(r, "false", res("AuthFunction", "Environment", "Variables", "COOKIE_SECURE")...)
		}, "COOKIE_SECURE"},
	})
}

// ---- logs --------------------------------------------------------------------------

// fnLogGroup is the log group a function writes to, and what is wrong
// with its logging.
func (tp *tmpl) fnLogGroup(fn string) (string, []string) {
	var problems []string
	if f := str(tp.fnProp(fn, "LoggingConfig", "LogFormat")); f != "JSON" {
		problems = append(problems, fmt.Sprintf("%s: LoggingConfig.LogFormat %q, want JSON (structured logs)", fn, f))
	}
	group := ref(tp.fnProp(fn, "LoggingConfig", "LogGroup"))
	if tp.typeOf(group) != "AWS::Logs::LogGroup" {
		return "", append(problems, fmt.Sprintf("%s: LoggingConfig.LogGroup is %s, want a !Ref to an AWS::Logs::LogGroup of the template (else Lambda makes one that keeps logs forever)",
			fn, show(tp.fnProp(fn, "LoggingConfig", "LogGroup"))))
	}
	days := at(tp.props(group), "RetentionInDays")
	if days == nil || (ref(days) != "" && tp.paramDefault(ref(days)) == "<nil>") {
		problems = append(problems, fmt.Sprintf("%s: log group %s has no retention period (RetentionInDays)", fn, group))
	}
	return group, problems
}

func logsRule(tp *tmpl) []string {
	var problems []string
	for _, fn := range tp.functions() {
		_, p := tp.fnLogGroup(fn)
		problems = append(problems, p...)
	}
	return problems
}

func TestEveryFunctionLogsJSONToAGroupWithRetention(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, logsRule)
	expectCaught(t, tp, logsRule, []breakage{
		{"no retention", func(r map[string]any) { del(r, res("FunctionLogs", "RetentionInDays")...) }, "no retention period"},
		{"text logs", func(r map[string]any) { set(r, "Text", "Globals", "Function", "LoggingConfig", "LogFormat") }, "want JSON"},
		{"Lambda's own group", func(r map[string]any) { del(r, "Globals", "Function", "LoggingConfig", "LogGroup") }, "AWS::Logs::LogGroup"},
	})
}

// ---- permissions -----------------------------------------------------------------

// statements are the IAM statements a role's principal gets: its inline
// policies and the template's managed policies attached to it. Managed
// policies from outside the template are problems: nobody can see them here.
func (tp *tmpl) statements(role string) ([]map[string]any, []string) {
	var docs []any
	var problems []string
	for _, p := range items(at(tp.props(role), "Policies")) {
		docs = append(docs, at(p, "PolicyDocument"))
	}
	for _, arn := range items(at(tp.props(role), "ManagedPolicyArns")) {
		if mp := ref(arn); tp.typeOf(mp) == "AWS::IAM::ManagedPolicy" {
			docs = append(docs, at(tp.props(mp), "PolicyDocument"))
		} else {
			problems = append(problems, fmt.Sprintf("%s: managed policy %s is not defined in the template", role, show(arn)))
		}
	}
	for _, kind := range []string{"AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::IAM::RolePolicy"} {
		for _, name := range tp.ofType(kind) {
			attached := slices.ContainsFunc(items(at(tp.props(name), "Roles")), func(r any) bool { return ref(r) == role }) ||
				ref(at(tp.props(name), "RoleName")) == role
			if attached {
				docs = append(docs, at(tp.props(name), "PolicyDocument"))
			}
		}
	}
	var stmts []map[string]any
	for _, d := range docs {
		for _, s := range items(at(d, "Statement")) {
			if m, ok := s.(map[string]any); ok {
				stmts = append(stmts, m)
			}
		}
	}
	return stmts, problems
}

// fnRole is the role of a function: one of the template's, never SAM's
// generated one (which adds AWSLambdaBasicExecutionRole: logs everywhere).
func (tp *tmpl) fnRole(fn string) (string, []string) {
	role, attr := getAtt(tp.fnProp(fn, "Role"))
	if tp.typeOf(role) != "AWS::IAM::Role" || attr != "Arn" {
		return "", []string{fmt.Sprintf("%s: Role is %s, want !GetAtt <a role of the template>.Arn (SAM's generated role may write logs anywhere)", fn, show(tp.fnProp(fn, "Role")))}
	}
	var problems []string
	if tp.fnProp(fn, "Policies") != nil {
		problems = append(problems, fmt.Sprintf("%s: has Policies besides Role; SAM ignores them, so they mislead", fn))
	}
	for _, s := range items(at(tp.props(role), "AssumeRolePolicyDocument", "Statement")) {
		if str(at(s, "Effect")) == "Allow" && show(at(s, "Principal")) != `{"Service":"lambda.amazonaws.com"}` {
			problems = append(problems, fmt.Sprintf("%s: role %s may be assumed by %s, want only lambda.amazonaws.com", fn, role, show(at(s, "Principal"))))
		}
	}
	return role, problems
}

// tableResource tells whether an IAM resource is one of tables, or an
// index of one of them.
func (tp *tmpl) tableResource(v any, tables []string) bool {
	if r, attr := getAtt(v); attr == "Arn" && slices.Contains(tables, r) {
		return true
	}
	m := regexp.MustCompile(`^\$\{([A-Za-z0-9]+)\.Arn\}/index/([A-Za-z0-9_.-]+)$`).FindStringSubmatch(sub(v))
	if m == nil || !slices.Contains(tables, m[1]) {
		return false
	}
	return slices.ContainsFunc(items(at(tp.props(m[1]), "GlobalSecondaryIndexes")), func(gsi any) bool {
		return str(at(gsi, "IndexName")) == m[2]
	})
}

// grants are the dynamodb actions of every function, for the store rule.
func (tp *tmpl) grants() map[string]bool {
	got := map[string]bool{}
	for _, fn := range tp.functions() {
		role, _ := tp.fnRole(fn)
		stmts, _ := tp.statements(role)
		for _, s := range stmts {
			for _, a := range items(s["Action"]) {
				if strings.HasPrefix(str(a), "dynamodb:") && str(s["Effect"]) == "Allow" {
					got[str(a)] = true
				}
			}
		}
	}
	return got
}

// xrayActions are what active tracing needs (Lambda sends the segments with
// the function's role); X-Ray has no resource-level permissions.
var xrayActions = map[string]bool{"xray:PutTraceSegments": true, "xray:PutTelemetryRecords": true}

// permissionsRule: each function's role allows named actions only, on
// named resources only: logs on its log group, dynamodb on the tables its
// environment names (and their indexes), and the two X-Ray actions of
// active tracing on "*" (X-Ray takes no other resource). Nothing else,
// nowhere else.
func permissionsRule(tp *tmpl) []string {
	var problems []string
	for _, fn := range tp.functions() {
		role, p := tp.fnRole(fn)
		problems = append(problems, p...)
		if role == "" {
			continue
		}
		group, _ := tp.fnLogGroup(fn)
		tables := tp.fnTables(fn)
		stmts, p := tp.statements(role)
		problems = append(problems, p...)
		for _, s := range stmts {
			if str(s["Effect"]) != "Allow" {
				continue
			}
			if s["NotAction"] != nil || s["NotResource"] != nil {
				problems = append(problems, fmt.Sprintf("%s: a statement uses NotAction/NotResource: %s", fn, show(s)))
				continue
			}
			for _, a := range items(s["Action"]) {
				action := str(a)
				service, _, _ := strings.Cut(action, ":")
				switch {
				case strings.ContainsAny(action, "*?"):
					problems = append(problems, fmt.Sprintf("%s: action %q is a wildcard; name each action", fn, action))
					continue
				case service == "xray":
					if !xrayActions[action] || str(tp.fnProp(fn, "Tracing")) != "Active" {
						problems = append(problems, fmt.Sprintf("%s: may call %s; a function needs only %v, and only with Tracing: Active", fn, action, slices.Sorted(maps.Keys(xrayActions))))
					} else if show(s["Resource"]) != `"*"` {
						problems = append(problems, fmt.Sprintf("%s: %s on %s; X-Ray takes no resource but \"*\"", fn, action, show(s["Resource"])))
					}
					continue
				case service != "dynamodb" && service != "logs":
					problems = append(problems, fmt.Sprintf("%s: may call %s; functions need only dynamodb, logs and (traced) xray", fn, action))
					continue
				}
				for _, r := range items(s["Resource"]) {
					switch {
					case str(r) != "" && strings.ContainsAny(str(r), "*"):
						problems = append(problems, fmt.Sprintf("%s: %s on %q: a wildcard resource", fn, action, str(r)))
					case service == "dynamodb" && !tp.tableResource(r, tables):
						problems = append(problems, fmt.Sprintf("%s: %s on %s, which is not one of its tables %v (or their indexes)", fn, action, show(r), tables))
					case service == "logs":
						if lg, attr := getAtt(r); lg != group || attr != "Arn" || (action != "logs:CreateLogStream" && action != "logs:PutLogEvents") {
							problems = append(problems, fmt.Sprintf("%s: %s on %s; functions need only logs:CreateLogStream and logs:PutLogEvents on their log group %s", fn, action, show(r), group))
						}
					}
				}
			}
		}
	}
	return problems
}

func TestEveryPolicyIsNoWiderThanItsTables(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, permissionsRule)
	cartStmt := res("CartFunctionRole", "Policies")
	expectCaught(t, tp, permissionsRule, []breakage{
		{"any resource", func(r map[string]any) {
			at(r, cartStmt...).([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)["Resource"] = "*"
		}, "a wildcard resource"},
		{"another function's table", func(r map[string]any) {
			at(r, cartStmt...).([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)["Resource"] =
				[]any{map[string]any{"Fn::GetAtt": []any{"UsersTable", "Arn"}}}
		}, "not one of its tables"},
		{"every dynamodb action", func(r map[string]any) {
			at(r, cartStmt...).([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)["Action"] = "dynamodb:*"
		}, "wildcard"},
		{"another service", func(r map[string]any) {
			at(r, cartStmt...).([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)["Action"] = "secretsmanager:GetSecretValue"
		}, "need only dynamodb, logs and (traced) xray"},
		{"another X-Ray action", func(r map[string]any) {
			at(r, cartStmt...).([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)["Action"] = "xray:GetTraceSummaries"
		}, "a function needs only"},
		{"X-Ray without tracing", func(r map[string]any) { del(r, "Globals", "Function", "Tracing") }, "only with Tracing: Active"},
		{"X-Ray on a named resource", func(r map[string]any) {
			at(r, res("WriteFunctionLogs", "PolicyDocument", "Statement")...).([]any)[1].(map[string]any)["Resource"] = "arn:aws:xray:*:*:group/x"
		}, "X-Ray takes no resource"},
		{"SAM's generated role", func(r map[string]any) { del(r, res("CookiesFunction", "Role")...) }, "SAM's generated role"},
		{"an AWS managed policy", func(r map[string]any) {
			set(r, []any{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}, res("CookiesFunctionRole", "ManagedPolicyArns")...)
		}, "not defined in the template"},
	})
}

// storeOperations are the DynamoDB operations internal/dynamostore calls
// through its client field db (s.db.GetItem(...), and paginators such as
// dynamodb.NewQueryPaginator(s.db, ...)), found by parsing its source.
func storeOperations(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("../dynamostore/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no internal/dynamostore sources: %v", err)
	}
	ops := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "db" {
				ops["dynamodb:"+sel.Sel.Name] = true
			}
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "dynamodb" && strings.HasPrefix(sel.Sel.Name, "New") && strings.HasSuffix(sel.Sel.Name, "Paginator") {
				ops["dynamodb:"+strings.TrimSuffix(strings.TrimPrefix(sel.Sel.Name, "New"), "Paginator")] = true
			}
			return true
		})
	}
	if len(ops) == 0 {
		t.Fatal("found no DynamoDB call in internal/dynamostore: has its client field been renamed from db?")
	}
	return ops
}

// storeRule: the functions together are granted exactly the DynamoDB
// operations the store makes: none missing (AccessDenied in AWS only), none
// unused.
func storeRule(ops map[string]bool) rule {
	return func(tp *tmpl) []string {
		var problems []string
		granted := tp.grants()
		for _, op := range slices.Sorted(maps.Keys(ops)) {
			if !granted[op] {
				problems = append(problems, fmt.Sprintf("internal/dynamostore calls %s, which no function's role allows: it would fail with AccessDenied in AWS only", op))
			}
		}
		for _, op := range slices.Sorted(maps.Keys(granted)) {
			if !ops[op] {
				problems = append(problems, fmt.Sprintf("a role allows %s, which internal/dynamostore never calls", op))
			}
		}
		return problems
	}
}

func TestRolesAllowExactlyTheStoreOperations(t *testing.T) {
	tp := load(t)
	ops := storeOperations(t)
	t.Logf("internal/dynamostore calls %v", slices.Sorted(maps.Keys(ops)))
	expectNone(t, tp, storeRule(ops))
	authStmts := res("AuthFunctionRole", "Policies")
	expectCaught(t, tp, storeRule(ops), []breakage{
		{"Query not granted", func(r map[string]any) {
			doc := at(r, authStmts...).([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)
			doc["Statement"] = slices.DeleteFunc(doc["Statement"].([]any), func(s any) bool { return str(at(s, "Sid")) == "QuerySessionsByUsername" })
		}, "dynamodb:Query, which no function's role allows"},
		{"Scan granted", func(r map[string]any) {
			s := statement(r, "AuthFunctionRole", "GetSessions")
			s["Action"] = []any{s["Action"], "dynamodb:Scan"}
		}, "dynamodb:Scan, which internal/dynamostore never calls"},
	})
}

// ---- the session secret -----------------------------------------------------------

// The characters Secrets Manager's password generator draws from, by class
// (GetRandomPassword: "a-z, A-Z, 0-9, and the punctuation
// !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", space only with IncludeSpace).
const (
	lowercase   = "abcdefghijklmnopqrstuvwxyz"
	uppercase   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits      = "0123456789"
	punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)

// generatedAlphabet is the set of characters GenerateSecretString g can
// produce, sorted.
func generatedAlphabet(g map[string]any) string {
	var all string
	for _, c := range []struct {
		chars, exclude string
	}{{lowercase, "ExcludeLowercase"}, {uppercase, "ExcludeUppercase"}, {digits, "ExcludeNumbers"}, {punctuation, "ExcludePunctuation"}} {
		if g[c.exclude] != true {
			all += c.chars
		}
	}
	if g["IncludeSpace"] == true {
		all += " "
	}
	excluded := str(g["ExcludeCharacters"])
	var kept []rune
	for _, r := range all {
		if !strings.ContainsRune(excluded, r) {
			kept = append(kept, r)
		}
	}
	slices.Sort(kept)
	return string(kept)
}

var secretReference = regexp.MustCompile(`^\{\{resolve:secretsmanager:\$\{([A-Za-z0-9]+)\}:SecretString:::(\$\{[A-Za-z0-9]+\})?\}\}$`)

// secretRule: every function's SESSION_SECRET is a dynamic reference to a
// secret of the template that Secrets Manager generates as 64 hex digits;
// no template or parameter ever holds the value.
func secretRule(tp *tmpl) []string {
	var problems []string
	checked := map[string]bool{}
	for _, fn := range tp.functions() {
		v := tp.fnEnv(fn)["SESSION_SECRET"]
		m := secretReference.FindStringSubmatch(sub(v))
		if m == nil {
			problems = append(problems, fmt.Sprintf("%s: SESSION_SECRET is %s, want !Sub \"{{resolve:secretsmanager:${Secret}:SecretString:::${Version}}}\" (a dynamic reference, resolved at deploy time)", fn, show(v)))
			continue
		}
		secret := m[1]
		if tp.typeOf(secret) != "AWS::SecretsManager::Secret" {
			problems = append(problems, fmt.Sprintf("%s: SESSION_SECRET refers to %s, not an AWS::SecretsManager::Secret of the template", fn, secret))
			continue
		}
		if checked[secret] {
			continue
		}
		checked[secret] = true
		p := tp.props(secret)
		if p["SecretString"] != nil {
			problems = append(problems, fmt.Sprintf("%s: has a SecretString: the value would be in the template", secret))
		}
		g, _ := p["GenerateSecretString"].(map[string]any)
		if g == nil {
			problems = append(problems, fmt.Sprintf("%s: no GenerateSecretString: Secrets Manager must generate the value", secret))
			continue
		}
		if got := generatedAlphabet(g); got != "0123456789abcdef" {
			problems = append(problems, fmt.Sprintf("%s: generates from %q, want exactly the hex digits 0-9a-f", secret, got))
		}
		if fmt.Sprint(g["PasswordLength"]) != "64" {
			problems = append(problems, fmt.Sprintf("%s: PasswordLength %v, want 64 (32 bytes, the functions' minimum)", secret, g["PasswordLength"]))
		}
		if g["RequireEachIncludedType"] != false || g["GenerateStringKey"] != nil {
			problems = append(problems, fmt.Sprintf("%s: want RequireEachIncludedType false (uniform digits) and a plain string (no GenerateStringKey)", secret))
		}
	}
	return problems
}

func TestSessionSecretIsGeneratedHexByDynamicReference(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, secretRule)
	expectCaught(t, tp, secretRule, []breakage{
		{"a literal", func(r map[string]any) {
			set(r, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", res("CartFunction", "Environment", "Variables", "SESSION_SECRET")...)
		}, "dynamic reference"},
		{"g-z allowed", func(r map[string]any) {
			set(r, "", res("SessionSecret", "GenerateSecretString", "ExcludeCharacters")...)
		}, "want exactly the hex digits"},
		{"uppercase allowed", func(r map[string]any) { del(r, res("SessionSecret", "GenerateSecretString", "ExcludeUppercase")...) }, "want exactly the hex digits"},
		{"too short", func(r map[string]any) { set(r, 32, res("SessionSecret", "GenerateSecretString", "PasswordLength")...) }, "want 64"},
		{"value in the template", func(r map[string]any) { set(r, "abc", res("SessionSecret", "SecretString")...) }, "in the template"},
	})
}

func TestGeneratedAlphabet(t *testing.T) {
	for _, tt := range []struct {
		g    map[string]any
		want string
	}{
		{map[string]any{"ExcludeUppercase": true, "ExcludePunctuation": true, "ExcludeCharacters": "ghijklmnopqrstuvwxyz"}, "0123456789abcdef"},
		{map[string]any{"ExcludeUppercase": true, "ExcludePunctuation": true, "ExcludeLowercase": true}, "0123456789"},
		{map[string]any{"ExcludeUppercase": true, "ExcludePunctuation": true, "ExcludeNumbers": true, "IncludeSpace": true, "ExcludeCharacters": "bcdefghijklmnopqrstuvwxyz"}, " a"},
	} {
		if got := generatedAlphabet(tt.g); got != tt.want {
			t.Errorf("generatedAlphabet(%v) = %q, want %q", tt.g, got, tt.want)
		}
	}
}
