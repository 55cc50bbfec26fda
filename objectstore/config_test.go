package objectstore

import "testing"

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want location
		bad  bool
	}{
		{url: "s3://127.0.0.1:8333/rec", want: location{endpoint: "127.0.0.1:8333", bucket: "rec", secure: true, pathStyle: true}},
		{url: "s3://s3.example.com/rec/center-1/?region=cn-east-1&tls=true",
			want: location{endpoint: "s3.example.com", bucket: "rec", prefix: "center-1/", region: "cn-east-1", secure: true, pathStyle: true}},
		{url: "s3://minio:9000/rec/a/b?tls=false&path-style=false",
			want: location{endpoint: "minio:9000", bucket: "rec", prefix: "a/b/"}},
		{url: "s3://key:secret@minio:9000/rec", bad: true}, // credentials never in the URL
		{url: "s3://minio:9000/", bad: true},
		{url: "http://minio:9000/rec", bad: true},
		{url: "s3://minio:9000/rec?tls=maybe", bad: true},
	} {
		got, err := parseURL(tc.url)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: accepted as %+v", tc.url, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s = %+v, %v; want %+v", tc.url, got, err, tc.want)
		}
	}
}

func TestCredentialsNeedBothKeys(t *testing.T) {
	if _, err := (Config{AccessKey: "only-the-key"}).creds(); err == nil {
		t.Error("an access key without a secret was accepted")
	}
	if _, err := (Config{AccessKey: "k", SecretKeyFile: "/nonexistent/secret"}).creds(); err == nil {
		t.Error("a missing secret key file was accepted")
	}
}
