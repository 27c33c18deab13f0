{{/* The chart name, or nameOverride. */}}
{{- define "aigw-otel-injector.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Object names: fullnameOverride, else the release name if it contains the chart name, else "<release>-<name>". */}}
{{- define "aigw-otel-injector.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "aigw-otel-injector.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The pod selector: the name (as the kustomize manifests select) and the release. */}}
{{- define "aigw-otel-injector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aigw-otel-injector.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "aigw-otel-injector.labels" -}}
{{ include "aigw-otel-injector.selectorLabels" . }}
app.kubernetes.io/part-of: aigw-otel-injector
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* The serving certificate's Secret. */}}
{{- define "aigw-otel-injector.tlsSecretName" -}}
{{- printf "%s-tls" (include "aigw-otel-injector.fullname" .) }}
{{- end }}

{{/* The DNS names the API server uses for the Service (it dials <service>.<namespace>.svc). */}}
{{- define "aigw-otel-injector.dnsNames" -}}
{{- $svc := include "aigw-otel-injector.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | toJson }}
{{- end }}

{{/* The image reference: repository:tag, and @digest when one is given. */}}
{{- define "aigw-otel-injector.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}
