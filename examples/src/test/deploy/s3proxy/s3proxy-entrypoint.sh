#!/bin/sh
# s3proxy's settings from the environment (S3PROXY_IDENTITY, S3PROXY_CREDENTIAL): the secret goes
# into an owner-only file, never onto a command line.
set -eu
umask 077
mkdir -p /data
cat > /tmp/s3proxy.properties <<PROPERTIES
s3proxy.endpoint=http://0.0.0.0:9000
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=${S3PROXY_IDENTITY}
s3proxy.credential=${S3PROXY_CREDENTIAL}
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=/data
PROPERTIES
exec java -Xmx256m -XX:+UseSerialGC -jar /opt/s3proxy/s3proxy.jar --properties /tmp/s3proxy.properties
