// Package openapitest holds the tests that keep docs/openapi.yaml true to
// template.yaml: the same routes both ways, and a spec that is consistent in
// itself (every reference resolves, every path parameter is declared, every
// operation lists the errors the contract gives every operation of its
// kind). It has no code of its own.
package openapitest
