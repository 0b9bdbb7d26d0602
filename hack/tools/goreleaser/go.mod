// Module goreleaser pins the release tool `make release-snapshot` runs, apart from every other
// module: its dependency tree is large and must not move drctl's or the other tools' versions.
module github.com/drctl/drctl/hack/tools/goreleaser

go 1.26.0
