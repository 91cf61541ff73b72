# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One client per protocol or server: Kubernetes, HTTP, TLS, DNS, PromQL, helm and the SaaS providers."""
