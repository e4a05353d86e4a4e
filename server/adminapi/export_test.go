package adminapi

import "net/http"

// Routes are the API's paths, each with its methods, as New serves them.
func Routes() map[string][]string {
	out := map[string][]string{}
	for _, rt := range (&api{}).routes() {
		for m := range rt.methods {
			out[rt.path] = append(out[rt.path], m)
		}
	}
	return out
}

// Bodies are the bodies the endpoints decode, by "METHOD PATH".
var Bodies = map[string]any{
	http.MethodPost + " " + Prefix + "users":                    newUser{},
	http.MethodPost + " " + Prefix + "users/{id}/temp-passcode": tempRequest{},
	http.MethodPost + " " + Prefix + "users/{id}/phone":         phoneRequest{},
}

// OpenAPI is the embedded document.
var OpenAPI = openapi
