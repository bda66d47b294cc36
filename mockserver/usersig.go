package mockserver

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/msgread/msgread/batch/chatapi"
	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// sigDoc is the decoded JSON inside a version-2 UserSig.
type sigDoc struct {
	Identifier string `json:"TLS.identifier"`
	SDKAppID   uint64 `json:"TLS.sdkappid"`
	Expire     int64  `json:"TLS.expire"`
	Time       int64  `json:"TLS.time"`
	Sig        []byte `json:"TLS.sig"`
	UserBuf    []byte `json:"TLS.userbuf"`
}

// maxSigBytes bounds how far an inflated UserSig may grow, so a crafted
// signature cannot make the mock allocate without limit.
const maxSigBytes = 4 << 10

var sigEncoding = base64.StdEncoding

// decodeUserSig unpacks a UserSig without checking it. It accepts both
// uncompressed zlib (as the Go library writes) and compressed (as Tencent's
// other libraries do). Anything that is not base64, zlib and the JSON
// document gives an error: the mock answers 70003 for it, where
// tencentyun.VerifyUserSig would report a misleading ErrSdkAppIDNotMatch.
func decodeUserSig(usersig string) (sigDoc, error) {
	std := strings.NewReplacer("_", "=", "-", "/", "*", "+").Replace(usersig)
	raw, err := sigEncoding.DecodeString(std)
	if err != nil {
		return sigDoc{}, err
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return sigDoc{}, err
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxSigBytes+1))
	if err != nil {
		return sigDoc{}, err
	}
	if len(data) > maxSigBytes {
		return sigDoc{}, errors.New("usersig too large")
	}
	var doc sigDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return sigDoc{}, err
	}
	if doc.Identifier == "" || doc.SDKAppID == 0 || len(doc.Sig) == 0 {
		return sigDoc{}, errors.New("usersig lacks fields")
	}
	return doc, nil
}

// sigCheck is what the mock remembers of one UserSig string: its fields and
// whether its HMAC matched the app's key. Only expiry depends on the time of
// the request, so the HMAC runs once per distinct UserSig, not per request.
type sigCheck struct {
	doc     sigDoc
	decoded bool
	code    int // the answer when the HMAC or the userbuf is wrong, else 0
}

// sigCache holds recent sigChecks. It is bounded: when full it starts over,
// which costs one HMAC per live UserSig.
type sigCache struct {
	key   chatapi.Secret
	mu    sync.Mutex
	items map[string]sigCheck
}

const sigCacheSize = 4096

func newSigCache(key chatapi.Secret) *sigCache {
	return &sigCache{key: key, items: make(map[string]sigCheck)}
}

func (c *sigCache) get(usersig string) sigCheck {
	c.mu.Lock()
	chk, ok := c.items[usersig]
	c.mu.Unlock()
	if ok {
		return chk
	}
	chk = c.check(usersig)
	c.mu.Lock()
	if len(c.items) >= sigCacheSize {
		clear(c.items)
	}
	c.items[usersig] = chk
	c.mu.Unlock()
	return chk
}

func (c *sigCache) check(usersig string) sigCheck {
	doc, err := decodeUserSig(usersig)
	if err != nil {
		return sigCheck{}
	}
	chk := sigCheck{doc: doc, decoded: true}
	// Verify against the signature's own app, identifier and time, so that
	// the library's answer is about the key alone; the request's app,
	// identifier and clock are compared per request.
	err = tencentyun.VerifyUserSig(doc.SDKAppID, c.key.Reveal(), doc.Identifier, usersig, time.Unix(doc.Time, 0))
	switch {
	case err == nil:
	case errors.Is(err, tencentyun.ErrSigNotMatch):
		chk.code = chatapi.CodeSigOtherAppKey
	default:
		chk.code = chatapi.CodeSigVerifyFailed
	}
	return chk
}

// verify returns the code the service answers for usersig presented by
// identifier of app sdkappid at now: 0 when it is valid.
func (c *sigCache) verify(sdkappid uint64, identifier, usersig string, now time.Time, maxAge time.Duration) int {
	if usersig == "" {
		return chatapi.CodeSigEmpty
	}
	chk := c.get(usersig)
	switch {
	case !chk.decoded:
		return chatapi.CodeSigMalformed
	case chk.doc.SDKAppID != sdkappid:
		return chatapi.CodeSigAppIDDiff
	case chk.doc.Identifier != identifier:
		return chatapi.CodeSigIdentifierDiff
	case now.Unix() > chk.doc.Time+chk.doc.Expire:
		return chatapi.CodeSigExpired
	case maxAge > 0 && now.Sub(time.Unix(chk.doc.Time, 0)) > maxAge:
		return chatapi.CodeSigExpired
	}
	return chk.code
}
