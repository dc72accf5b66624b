{{/* Chart name, overridable. */}}
{{- define "bbr.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Resource name prefix: <release>-<chart>, or the release name alone when it already holds the chart name. */}}
{{- define "bbr.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels on every resource. */}}
{{- define "bbr.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "bbr.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the bbr pods (immutable once deployed). */}}
{{- define "bbr.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bbr.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "bbr.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bbr.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Namespace of the Gateway bbr serves. */}}
{{- define "bbr.gatewayNamespace" -}}
{{- default .Release.Namespace .Values.gateway.namespace }}
{{- end }}

{{/* The bbr Service's DNS name, as Gateways reach it. */}}
{{- define "bbr.serviceHost" -}}
{{- printf "%s.%s.svc.%s" (include "bbr.fullname" .) .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{/* The rendered BBR config document (values.config may be an object or a YAML string). */}}
{{- define "bbr.configYaml" -}}
{{- if kindIs "string" .Values.config }}
{{- .Values.config }}
{{- else }}
{{- toYaml .Values.config }}
{{- end }}
{{- end }}

{{/* appProtocol of the ext_proc port: HTTP/2 over TLS, or cleartext HTTP/2 (h2c). */}}
{{- define "bbr.grpcAppProtocol" -}}
{{- if .Values.tls.enabled }}HTTP2{{ else }}kubernetes.io/h2c{{ end }}
{{- end }}

{{/* SEND or SKIP for a header/trailer event. */}}
{{- define "bbr.headerMode" -}}
{{- if . }}SEND{{ else }}SKIP{{ end }}
{{- end }}

{{/* FULL_DUPLEX_STREAMED or NONE for a body event. */}}
{{- define "bbr.bodyMode" -}}
{{- if . }}FULL_DUPLEX_STREAMED{{ else }}NONE{{ end }}
{{- end }}
