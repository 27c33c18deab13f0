// Small programs of our own for the real node's images (test/real/parts/75-node-images.sh); nothing is shipped.
module aigw-otel-injector/test/real/images

go 1.26.0
