package objectstore

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Config says where the store is and how to sign in.
type Config struct {
	// URL is s3://host[:port]/bucket[/prefix], with the query options
	// tls=false (plain HTTP, for a store on the same host or network),
	// region=… and path-style=false (virtual-hosted buckets).
	URL string
	// AccessKey and SecretKey sign requests. Empty: the usual environment
	// (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or MINIO_ROOT_USER and
	// MINIO_ROOT_PASSWORD), then ~/.aws/credentials.
	AccessKey, SecretKey string
	// SecretKeyFile holds the secret key when SecretKey is empty, so that
	// it stays out of the process list and the environment.
	SecretKeyFile string
	// Transport carries the requests; nil: minio-go's default.
	Transport http.RoundTripper
}

// location is a parsed Config.URL.
type location struct {
	endpoint, bucket, prefix, region string
	secure, pathStyle                bool
}

func parseURL(raw string) (location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return location{}, fmt.Errorf("object store URL: %w", err)
	}
	if u.Scheme != "s3" || u.Host == "" || u.User != nil {
		return location{}, errors.New("object store URL: want s3://host[:port]/bucket[/prefix] (credentials do not go in the URL)")
	}
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if bucket == "" {
		return location{}, errors.New("object store URL: no bucket (s3://host[:port]/bucket[/prefix])")
	}
	loc := location{endpoint: u.Host, bucket: bucket, region: u.Query().Get("region"), secure: true, pathStyle: true}
	if prefix = strings.Trim(prefix, "/"); prefix != "" {
		loc.prefix = prefix + "/"
	}
	for name, dst := range map[string]*bool{"tls": &loc.secure, "path-style": &loc.pathStyle} {
		if v := u.Query().Get(name); v != "" {
			if *dst, err = strconv.ParseBool(v); err != nil {
				return location{}, fmt.Errorf("object store URL: bad %s=%q", name, v)
			}
		}
	}
	return loc, nil
}

// creds picks the credentials: given, then a secret file, then the
// environment and the AWS credentials file.
func (c Config) creds() (*credentials.Credentials, error) {
	secret := c.SecretKey
	if secret == "" && c.SecretKeyFile != "" {
		b, err := os.ReadFile(c.SecretKeyFile)
		if err != nil {
			return nil, fmt.Errorf("read object store secret key: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if c.AccessKey != "" || secret != "" {
		if c.AccessKey == "" || secret == "" {
			return nil, errors.New("object store: give both the access key and the secret key")
		}
		return credentials.NewStaticV4(c.AccessKey, secret, ""), nil
	}
	return credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{}, &credentials.EnvMinio{}, &credentials.FileAWSCredentials{},
	}), nil
}
