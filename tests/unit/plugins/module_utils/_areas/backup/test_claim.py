"""The backup claim against the API (plain JSON): check mode creates nothing, a missing claim is created as
labelled and sized, a second run and a claim already there are left alone."""

from kubernetes.client.rest import ApiException

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import claim

from ...kube_fakes import JsonKube

CLAIMS = "/api/v1/namespaces/sme/persistentvolumeclaims"
ONE = f"{CLAIMS}/backups"
SPEC = claim.ClaimSpec(name="backups", namespace="sme", app="db-backup", size="30Gi", storage_class="fast")


class Store:
    """A namespace's claims: POST stores one (not on a dry run), GET reads it back."""

    def __init__(self, kube_routes=None):
        self.claims = {}
        self.kube = JsonKube({("POST", CLAIMS): self.post, ONE: self.get, **(kube_routes or {})})

    def post(self, body, query):
        if query.get("dryRun") != "All":
            self.claims[body["metadata"]["name"]] = body
        return body

    def get(self, _body, _query):
        if "backups" not in self.claims:
            raise ApiException(status=404, reason="Not Found")
        return self.claims["backups"]


def writes(kube):
    return [(method, path, query) for method, path, query, _body in kube.requests if method != "GET"]


def test_check_mode_reports_the_claim_it_would_create_and_creates_nothing():
    store = Store()
    outcome = claim.ensure_claim(store.kube, SPEC, check_mode=True)
    assert outcome["changed"] and outcome["action"] == "create"
    assert writes(store.kube) == [("POST", CLAIMS, {"dryRun": "All"})]
    assert store.claims == {}
    assert outcome["diff"]["before"] == {} and outcome["diff"]["after"]["spec"]["storageClassName"] == "fast"


def test_a_missing_claim_is_created_labelled_and_sized_and_a_second_run_changes_nothing():
    store = Store()
    outcome = claim.ensure_claim(store.kube, SPEC, check_mode=False)
    assert outcome["changed"] and outcome["action"] == "create"
    made = store.claims["backups"]
    assert made["metadata"]["labels"] == {
        "app.kubernetes.io/name": "db-backup",
        "app.kubernetes.io/managed-by": "smeplatform.deploy",
    }
    assert made["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "30Gi"}},
        "storageClassName": "fast",
    }
    again = claim.ensure_claim(store.kube, SPEC, check_mode=False)
    assert again["changed"] is False and again["action"] == "none" and "diff" not in again
    assert len(writes(store.kube)) == 1


def test_without_a_class_the_cluster_default_is_left_to_choose():
    store = Store()
    claim.ensure_claim(store.kube, claim.ClaimSpec("backups", "sme", "db-backup", "1Gi"), check_mode=False)
    assert "storageClassName" not in store.claims["backups"]["spec"]


def test_a_claim_already_there_is_left_alone_whatever_its_spec():
    store = Store()
    store.claims["backups"] = {"metadata": {"name": "backups"}, "spec": {"resources": {"requests": {"storage": "5Gi"}}}}
    for check_mode in (True, False):
        outcome = claim.ensure_claim(store.kube, SPEC, check_mode=check_mode)
        assert outcome["changed"] is False and outcome["action"] == "none"
    assert writes(store.kube) == []


def test_a_claim_created_meanwhile_by_another_run_counts_as_created():
    kube = JsonKube({("POST", CLAIMS): ApiException(status=409, reason="Conflict")})
    assert claim.ensure_claim(kube, SPEC, check_mode=False)["changed"]
