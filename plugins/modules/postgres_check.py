#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgres_check
short_description: Check the production PostgreSQL instance, its replica, archiving, pooler, application role and Redis
version_added: 0.1.0
description:
  - Proves checklist items C(4.1.1) (version), C(4.1.2) (streaming replica and its lag), C(4.1.4) (WAL archiving
    for point-in-time recovery), C(4.1.6) (connection pooling through PgBouncer), C(4.2.3) (least-privilege
    application role) and C(4.2.4) (the application's connection settings work) in one call, and records the
    platform's Redis under C(3.2.3) (its C(REDIS_PASSWORD) logs in).
  - C(4.2.4) and C(3.2.3) use exactly what the platform reads with C(envFrom) from the live cluster, not the
    inventory; C(DATABASE_HOST), C(DATABASE_PORT), C(DATABASE_NAME), C(DATABASE_USER), C(REDIS_HOST) and
    C(REDIS_PORT) from O(app_configmap), C(DATABASE_PASSWORD) and C(REDIS_PASSWORD) from O(app_secret_name);
    a C(DATABASE_URL) or C(REDIS_URL) in either replaces the separate keys. Before the release's first install (no
    ConfigMap) the host, port, database and user are the inventory's (O(app_host), O(app_port), O(dbname),
    O(app_user), O(redis_host), O(redis_port)); the passwords always come from the Secret, and a missing Secret
    or password fails the item.
  - Redis is asked C(AUTH), C(PING) and C(INFO); its version, role and C(maxmemory-policy) are the evidence.
  - The checks run in concurrent groups (primary as the check user, the platform's login, Redis, the pooler);
    an unreachable server fails the items of its group, naming it by its address, the others are still measured.
  - Read-only; it changes nothing.
options:
  host:
    description: Host of the primary server.
    type: str
    required: true
  port:
    description: Port of the primary server.
    type: int
    default: 5432
  dbname:
    description: The application's database.
    type: str
    required: true
  sslmode:
    description: libpq C(sslmode) for every connection.
    type: str
    default: prefer
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  sslrootcert:
    description: CA bundle for O(sslmode=verify-ca) and O(sslmode=verify-full).
    type: path
  connect_timeout:
    description: Seconds to wait for each connection.
    type: int
    default: 10
  admin_user:
    description:
      - Check user on the primary, a member of C(pg_monitor). Needed for C(4.1.1), C(4.1.2) and C(4.1.4); without it
        those items are not measured.
    type: str
  admin_password:
    description: Password of O(admin_user); a C(.pgpass) file or E(PGPASSFILE) is used when not set.
    type: str
  app_user:
    description: The application's database role.
    type: str
    required: true
  app_password:
    description: The application's password, as the application is configured with it.
    type: str
  app_host:
    description: Host the application connects to (the pooler, often); O(host) when not set.
    type: str
  app_port:
    description: Port the application connects to; O(port) when not set.
    type: int
  pgbouncer_host:
    description: Host of PgBouncer; C(4.1.6) fails when not set.
    type: str
  pgbouncer_port:
    description: Port of PgBouncer.
    type: int
    default: 6432
  pgbouncer_admin_user:
    description: A PgBouncer C(admin_users) or C(stats_users) member; when set, C(SHOW POOLS) must list O(dbname).
    type: str
  pgbouncer_admin_password:
    description: Password of O(pgbouncer_admin_user).
    type: str
  min_version:
    description: Lowest accepted PostgreSQL major version.
    type: int
    default: 15
  min_replicas:
    description: Streaming replicas required.
    type: int
    default: 1
  max_lag_bytes:
    description: Largest accepted replay lag of a replica, in bytes of WAL.
    type: int
    default: 16777216
  max_lag_seconds:
    description: Largest accepted replay lag of a replica, in seconds.
    type: float
    default: 60
  max_archive_age:
    description: Seconds since the last archived WAL segment above which archiving counts as stalled.
    type: int
    default: 86400
  namespace:
    description: Namespace of the platform, where its Secret and ConfigMap live.
    type: str
    required: true
  app_secret_name:
    description: The Secret the platform loads with C(envFrom) (C(DATABASE_PASSWORD), C(REDIS_PASSWORD)).
    type: str
    default: sme-platform-secrets
  app_configmap:
    description: The ConfigMap of the platform's settings (C(DATABASE_*), C(REDIS_*)), C(<release>-config).
    type: str
    default: sme-platform-config
  redis_host:
    description: Redis host when the platform's ConfigMap does not exist yet (before its first install).
    type: str
  redis_port:
    description: Redis port when the platform's ConfigMap does not exist yet.
    type: int
    default: 6379
  redis_min_version:
    description: Lowest accepted Redis major version.
    type: int
    default: 6
  routes:
    description:
      - Where this controller reaches an address the platform's settings name, when it cannot reach it by that name
        (a cluster-internal Service name, for instance); C(host:port) as the platform names it (the ConfigMap, or
        the inventory's values before the first install) mapped to the C(host:port) to connect to, such as a
        NodePort, a load balancer or a port-forward.
      - Only the network connection follows a route; host name checks of O(sslmode=verify-full) are made against
        the route's host. User, database and passwords still come from the platform, and the evidence names both
        addresses. An address without a route is connected to as the platform names it.
    type: dict
    default: {}
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.read_only_check
  - smeplatform.deploy.kubernetes
requirements:
  - psycopg >= 3.1
  - kubernetes
notes:
  - Passwords are never part of a message; connection errors name user, host, port and database only. Every value
    of the platform's Secret is added to the values Ansible masks in all output.
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Check PostgreSQL
  smeplatform.deploy.postgres_check:
    host: db.internal
    dbname: sme_platform
    admin_user: sme_ops
    admin_password: "{{ vault_pg_ops_password }}"
    app_user: sme_app
    app_password: "{{ vault_pg_app_password }}"
    namespace: sme-platform
    app_configmap: sme-platform-config
    app_host: pgbouncer.internal
    app_port: 6432
    pgbouncer_host: pgbouncer.internal
    pgbouncer_port: 6432
    sslmode: verify-full
    sslrootcert: /etc/ssl/certs/db-ca.pem
  no_log: false

- name: Check the platform's database and Redis through the routes this controller has into the cluster
  smeplatform.deploy.postgres_check:
    host: db.internal
    dbname: sme_platform
    app_user: sme_app
    namespace: sme-platform
    routes:
      postgres.sme-platform-db.svc.cluster.local:5432: 10.0.0.15:30432
      redis.sme-platform-db.svc.cluster.local:6379: 10.0.0.15:30379
"""

RETURN = r"""
evidence:
  description: One entry per checklist item checked.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "4.1.1", "status": "passed", "measured": "15.18", "threshold": ">= 15",
            "detail": "PostgreSQL server version 15.18 (major 15)", "where": "sme_ops@db:5432/sme_platform",
            "duration": 0.05}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import entry, options


def main() -> None:
    entry.run_postgres_check(AnsibleModule(**options.postgres_check()))


if __name__ == "__main__":
    main()
