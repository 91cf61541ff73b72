{{/*
Deployment shared by the backend and frontend components.
Call with (dict "ctx" $ "component" "backend").
*/}}
{{- define "sme-platform.deployment" -}}
{{- $ctx := .ctx }}
{{- $component := .component }}
{{- $values := index $ctx.Values $component }}
{{- $fullname := include "sme-platform.fullname" $ctx }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}-{{ $component }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "sme-platform.labels" . | nindent 4 }}
spec:
  replicas: {{ include "sme-platform.replicas" . }}
  revisionHistoryLimit: 10
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 25%
  selector:
    matchLabels:
      {{- include "sme-platform.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "sme-platform.labels" . | nindent 8 }}
        # Short label used by runbook commands (kubectl logs -l app={{ $component }}).
        app: {{ $component }}
        {{- with $values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include (print $ctx.Template.BasePath "/configmap.yaml") $ctx | sha256sum }}
        {{- with $values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "sme-platform.serviceAccountName" $ctx }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $values.terminationGracePeriodSeconds }}
      {{- with $ctx.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $ctx.Values.podSecurityContext | nindent 8 }}
      {{- include "sme-platform.scheduling" . | trim | nindent 6 }}
      containers:
        - name: {{ $component }}
          image: {{ include "sme-platform.image" (dict "ctx" $ctx "image" $values.image) | quote }}
          imagePullPolicy: {{ include "sme-platform.pullPolicy" (dict "ctx" $ctx "image" $values.image) }}
          ports:
            - name: http
              containerPort: {{ $values.containerPort }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "sme-platform.configMapName" $ctx }}
            {{- if $values.loadSecrets }}
            {{- include "sme-platform.secretEnvFrom" $ctx | nindent 12 }}
            {{- end }}
          env:
            - name: PORT
              value: {{ $values.containerPort | toString | quote }}
            {{- with $values.env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          securityContext:
            {{- toYaml $ctx.Values.containerSecurityContext | nindent 12 }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          startupProbe:
            httpGet:
              path: {{ $values.probes.startupPath | default $values.probes.path }}
              port: http
            {{- toYaml $values.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet:
              path: {{ $values.probes.livenessPath | default $values.probes.path }}
              port: http
            {{- toYaml $values.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet:
              path: {{ $values.probes.readinessPath | default $values.probes.path }}
              port: http
            {{- toYaml $values.probes.readiness | nindent 12 }}
          volumeMounts:
            {{- include "sme-platform.writableMounts" $values | trim | nindent 12 }}
      volumes:
        {{- include "sme-platform.writableVolumes" $values | trim | nindent 8 }}
{{- end }}
