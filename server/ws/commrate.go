package ws

import (
	"encoding/json"
	"strings"
)

// brokerCommRateAttr is the attribute that holds a user's broker
// commission rate, which the seed's password replies carry at the top
// level ("broker_comm_rate":"0"). It lives with the user's other
// attributes, set as they are (adduser's attr, the admin commands'
// --attr), so that a back-end that keeps it there needs nothing new.
const brokerCommRateAttr = "broker_comm_rate"

// brokerCommRate is the rate in the attributes attr, as text: a string
// as it is, a number as written; "0" when it is unset or neither.
func brokerCommRate(attr json.RawMessage) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(attr, &fields) != nil {
		return "0"
	}
	raw := fields[brokerCommRateAttr]
	var s string
	var n json.Number
	switch {
	case json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) != "":
		return s
	case json.Unmarshal(raw, &n) == nil && n != "":
		return n.String()
	}
	return "0"
}
