package consent

// TokenReason says why a consent token was not accepted.
type TokenReason uint8

// Reasons a token is refused. Suggested HTTP mapping: on POST /api/event
// every reason is 403 (DESIGN.md); on the receipt and erase endpoints the
// first four are 401 (authenticate again) and the rest 403.
const (
	ReasonNoToken      TokenReason = iota + 1 // no token at all
	ReasonMalformed                           // not a JWT of ours, or claims of the wrong shape
	ReasonExpired                             // past its expiry, or issued in the future
	ReasonBadSignature                        // wrong key, unknown key ID or an algorithm other than HS256
	ReasonOtherSite                           // valid, but for another site
	ReasonOtherConsent                        // valid, but for another consent ID
	ReasonRevoked                             // withdrawn, or replaced by a newer choice
	ReasonNotGranted                          // valid, but the category was not granted
)

var reasonText = [...]string{
	ReasonNoToken:      "no consent token",
	ReasonMalformed:    "the consent token is malformed",
	ReasonExpired:      "the consent token has expired",
	ReasonBadSignature: "the consent token's signature is not valid",
	ReasonOtherSite:    "the consent token is for another site",
	ReasonOtherConsent: "the consent token is for another consent",
	ReasonRevoked:      "the consent was withdrawn or changed",
	ReasonNotGranted:   "the consent does not grant this category",
}

func (r TokenReason) String() string {
	if int(r) < len(reasonText) && reasonText[r] != "" {
		return reasonText[r]
	}
	return "the consent token is not valid"
}

// TokenError is a refused token. Error() is a sentence fit for a 4xx
// answer; Detail adds what an operator needs in a log (never the token).
// errors.Is(err, ErrTokenExpired) and the like match on Reason.
type TokenError struct {
	Reason TokenReason
	Detail string
}

func (e *TokenError) Error() string {
	if e.Detail == "" {
		return e.Reason.String()
	}
	return e.Reason.String() + ": " + e.Detail
}

// Is matches any *TokenError of the same reason.
func (e *TokenError) Is(target error) bool {
	t, ok := target.(*TokenError)
	return ok && t.Reason == e.Reason
}

// Sentinels for errors.Is; the errors returned may carry a Detail.
var (
	ErrNoToken           = &TokenError{Reason: ReasonNoToken}
	ErrTokenMalformed    = &TokenError{Reason: ReasonMalformed}
	ErrTokenExpired      = &TokenError{Reason: ReasonExpired}
	ErrTokenBadSignature = &TokenError{Reason: ReasonBadSignature}
	ErrTokenOtherSite    = &TokenError{Reason: ReasonOtherSite}
	ErrTokenOtherConsent = &TokenError{Reason: ReasonOtherConsent}
	ErrTokenRevoked      = &TokenError{Reason: ReasonRevoked}
	ErrNotGranted        = &TokenError{Reason: ReasonNotGranted}
)
