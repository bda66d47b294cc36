package chatapi

import (
	"fmt"
	"sort"
	"strings"
)

// Regions maps the region names msgread accepts to the API's domain in that
// region. Calling another region's domain fails with 70016 or 70020.
var Regions = map[string]string{
	"china":          "console.tim.qq.com",
	"singapore":      "adminapisgp.im.qcloud.com",
	"seoul":          "adminapikr.im.qcloud.com",
	"tokyo":          "adminapijpn.im.qcloud.com",
	"frankfurt":      "adminapiger.im.qcloud.com",
	"silicon-valley": "adminapiusa.im.qcloud.com",
	"jakarta":        "adminapiidn.im.qcloud.com",
	"mumbai":         "adminapiind.im.qcloud.com",
}

// RegionNames returns the accepted region names, sorted.
func RegionNames() []string {
	names := make([]string, 0, len(Regions))
	for name := range Regions {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// RegionEndpoint returns the HTTPS base URL of the named region. Names are
// case-insensitive, and "silicon valley" and "siliconvalley" also work.
func RegionEndpoint(name string) (string, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	key = strings.NewReplacer(" ", "-", "_", "-").Replace(key)
	if key == "siliconvalley" {
		key = "silicon-valley"
	}
	domain, ok := Regions[key]
	if !ok {
		return "", fmt.Errorf("chatapi: unknown region %q (known: %s)", name, strings.Join(RegionNames(), ", "))
	}
	return "https://" + domain, nil
}
