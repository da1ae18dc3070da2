module github.com/guildhall/guildhall/tools/ops

go 1.26.0

require gopkg.in/yaml.v3 v3.0.1

require github.com/grafana/grafana-foundation-sdk/go v0.0.22
