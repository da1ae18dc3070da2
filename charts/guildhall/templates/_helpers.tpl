{{/* The node's id: the district, or hq. */}}
{{- define "guildhall.node" -}}
{{- if eq .Values.role "hq" }}hq{{ else }}{{ required "district is required for role district" .Values.district }}{{ end -}}
{{- end }}

{{- define "guildhall.labels" -}}
app.kubernetes.io/name: guildhall
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
guildhall.io/node: {{ include "guildhall.node" . }}
{{- end }}

{{- define "guildhall.selector" -}}
app.kubernetes.io/name: guildhall
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The services of the release's role, each merged with the chart defaults and
its overrides: a YAML list the templates range over (fromYamlArray).
*/}}
{{- define "guildhall.services" -}}
{{- $root := . }}
{{- $list := list }}
{{- range (index .Values.services .Values.role) }}
{{- $o := index $root.Values.overrides .name | default dict }}
{{- $s := dict
    "name" .name
    "fullname" (printf "%s-%s" $root.Release.Name .name | trunc 63 | trimSuffix "-")
    "pii" (.pii | default false)
    "args" (.args | default list)
    "prefixes" (.prefixes | default list)
    "regexPaths" (.regexPaths | default list)
    "replicas" (ternary 1 ($o.replicas | default $root.Values.replicas) (eq $root.Values.database.mode "sqlite"))
    "resources" ($o.resources | default $root.Values.resources)
    "env" ($o.env | default list)
    "nodeSelector" ($o.nodeSelector | default $root.Values.nodeSelector)
    "tolerations" ($o.tolerations | default $root.Values.tolerations)
    "affinity" ($o.affinity | default $root.Values.affinity)
    "hpa" (mergeOverwrite (deepCopy $root.Values.hpa) ($o.hpa | default dict))
}}
{{- $list = append $list $s }}
{{- end }}
{{- toYaml $list }}
{{- end }}

{{- define "guildhall.image" -}}
{{- $root := index . 0 }}{{ $s := index . 1 -}}
{{- $img := printf "%s/%s" $root.Values.image.repository $s.name -}}
{{- if $root.Values.image.digest }}{{ printf "%s@%s" $img $root.Values.image.digest }}{{ else }}{{ printf "%s:%s" $img ($root.Values.image.tag | default $root.Chart.AppVersion) }}{{ end -}}
{{- end }}

{{/* The Kafka principal of the node: the district, or hq. */}}
{{- define "guildhall.kafkaUser" -}}
{{- .Values.kafka.sasl.username | default (include "guildhall.node" .) -}}
{{- end }}
