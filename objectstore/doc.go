// Package objectstore keeps files in an S3-compatible object store (AWS
// S3, MinIO, the Versity S3 Gateway, Ceph RGW, …) through minio-go: whole files go in,
// with their SHA-256 checked on the stored copy, and come out as readers
// that fetch byte ranges, so that a player seeking through a recording
// pulls only what it plays.
package objectstore
