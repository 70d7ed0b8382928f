package account

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/sessionlab/sessionlab/internal/web"
)

// Username and password rules of the contract.
const (
	MinUsername = 3
	MaxUsername = 32
	MinPassword = 8
	MaxPassword = 128
)

// NormalizeUsername folds name to lower case and checks it: 3–32 of
// a-z 0-9 _ . -.
func NormalizeUsername(name string) (string, error) {
	folded := strings.ToLower(name)
	if len(folded) < MinUsername || len(folded) > MaxUsername || strings.IndexFunc(folded, notUsernameRune) >= 0 {
		return "", web.Errorf(http.StatusBadRequest, "invalid_username",
			"A username is 3 to 32 characters: letters a-z, digits, '_', '.' or '-'.")
	}
	return folded, nil
}

func notUsernameRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-')
}

// CheckPassword applies the password rules: 8–128 characters (valid UTF-8),
// and not the username.
func CheckPassword(pw, username string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw) || n < MinPassword || n > MaxPassword:
		return web.Errorf(http.StatusBadRequest, "weak_password", "A password is 8 to 128 characters long.")
	case strings.EqualFold(pw, username):
		return web.Errorf(http.StatusBadRequest, "weak_password", "The password must not be the username.")
	}
	return nil
}
