package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"

	"github.com/sessionlab/sessionlab/internal/samtemplate"
)

// EnvFile is an env.json in the format of `sam local --env-vars`: values
// under "Parameters" apply to every function, then an object per function
// logical ID.
type EnvFile map[string]map[string]string

// ReadEnvFile reads path; a missing file is an empty EnvFile.
func ReadEnvFile(path string) (EnvFile, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return EnvFile{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var raw map[string]map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("read %s: not the --env-vars format {\"Parameters\": {...}, \"Function\": {...}}: %w", path, err)
	}
	env := EnvFile{}
	for scope, vars := range raw {
		env[scope] = map[string]string{}
		for k, v := range vars {
			env[scope][k] = fmt.Sprint(v)
		}
	}
	return env, nil
}

// FunctionEnv is the environment fn sees, as under `sam local`: the
// variables the template declares for it (Globals merged), overlaid by
// env.json's Parameters, then by env.json's object for fn, then by the
// process environment. Only declared variables are set, as SAM does.
func FunctionEnv(fn samtemplate.Function, file EnvFile, lookup func(string) (string, bool)) map[string]string {
	env := maps.Clone(fn.Env)
	for _, scope := range []string{"Parameters", fn.Name} {
		for k, v := range file[scope] {
			if _, declared := env[k]; declared {
				env[k] = v
			}
		}
	}
	for k := range env {
		if v, ok := lookup(k); ok {
			env[k] = v
		}
	}
	return env
}
