# The FHIR R5 interface. The `fhir.resources` library (tests check our resources with it)
# lives in a package also named `fhir`: extending the path lets `import fhir.resources`
# find it next to this app. No module of this app may be named `resources`.
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
