# Makes the quickstart manifests installable as kgw_controller.quickstart, so `kgw up` without DIR serves them.
