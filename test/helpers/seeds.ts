// Inputs taken verbatim from the seed workflows (../shared/seeds), shared by the e2e tests.

/** Seed 001: the pod-reader Role + RoleBinding for minjun, verbatim (Korean comments included). */
export const POD_READER_YAML = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  namespace: default
  name: pod-reader
rules:
- apiGroups: [""] # ""는 코어 API 그룹을 의미합니다.
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: read-pods-minjun
  namespace: default
subjects:
- kind: User
  name: minjun # CSR 생성 시 CN에 지정한 사용자 이름
  apiGroup: rbac.authorization.k8s.io
roleRef:
  kind: Role
  name: pod-reader
  apiGroup: rbac.authorization.k8s.io
`;
