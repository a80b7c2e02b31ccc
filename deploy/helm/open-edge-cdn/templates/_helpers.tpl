{{/* Chart name, at most 40 characters so that suffixed resource names stay within 63. */}}
{{- define "cdn.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name. */}}
{{- define "cdn.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "cdn.name" .) | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "cdn.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
app.kubernetes.io/name: {{ include "cdn.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "cdn.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cdn.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cdn.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "cdn.tokensSecret" -}}
{{- default (printf "%s-tokens" (include "cdn.fullname" .)) .Values.tokens.existingSecret -}}
{{- end -}}

{{- define "cdn.originUrl" -}}
{{- default (printf "http://%s-origin:%v" (include "cdn.fullname" .) .Values.origin.service.port) .Values.edge.originUrl -}}
{{- end -}}
