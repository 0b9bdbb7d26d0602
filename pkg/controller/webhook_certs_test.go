package controller

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

func leafOf(t *testing.T, data map[string][]byte) *x509.Certificate {
	b, _ := pem.Decode(data[secretTLSCert])
	require.NotNil(t, b)
	c, err := x509.ParseCertificate(b.Bytes)
	require.NoError(t, err)
	return c
}

// A renewal keeps the CA (the caBundle the API server trusts does not change); a CA near its end
// is replaced, the old one staying in the bundle.
func TestCertificateRenewalKeepsTheCA(t *testing.T) {
	hosts := certHosts("drctl-webhook", "drctl-system", "")
	first, err := renewCertificate(nil, hosts)
	require.NoError(t, err)
	assert.True(t, certUsable(first, hosts))
	assert.False(t, certUsable(first, append(hosts, "elsewhere.example.com")), "a host the certificate does not name")

	renewed, err := renewCertificate(first, hosts)
	require.NoError(t, err)
	assert.Equal(t, first[secretCA], renewed[secretCA], "the same CA signs the renewed certificate")
	assert.NotEqual(t, first[secretTLSCert], renewed[secretTLSCert])
	ca, _, err := parseCA(renewed)
	require.NoError(t, err)
	require.NoError(t, leafOf(t, renewed).CheckSignatureFrom(ca))

	// A CA with less than a year left: a new one, the old kept in the bundle.
	old, _, err := parseCA(first)
	require.NoError(t, err)
	assert.Greater(t, time.Until(old.NotAfter), caRenewal)
	aging := map[string][]byte{}
	for k, v := range first {
		aging[k] = v
	}
	short, err := shortLivedCA(t)
	require.NoError(t, err)
	aging[secretCA], aging[secretCAKey] = short[secretCA], short[secretCAKey]
	assert.False(t, certUsable(aging, hosts))
	replaced, err := renewCertificate(aging, hosts)
	require.NoError(t, err)
	assert.NotEqual(t, aging[secretCA], replaced[secretCA])
	assert.Equal(t, aging[secretCA], replaced[secretOldCA])

	dir := t.TempDir()
	require.NoError(t, writeCertDir(dir, replaced))
	assert.Equal(t, append(append([]byte{}, replaced[secretCA]...), aging[secretCA]...), caBundleOf(replaced))

	// What the webhooks trust keeps a CA another replica may still serve under, until it expires.
	merged := mergeCABundles(first[secretCA], caBundleOf(replaced))
	assert.Contains(t, string(merged), string(first[secretCA]))
	assert.Contains(t, string(merged), string(replaced[secretCA]))
	assert.Equal(t, merged, mergeCABundles(merged, caBundleOf(replaced)), "merging again changes nothing")
	onDisk, err := os.ReadFile(filepath.Join(dir, corev1.TLSCertKey))
	require.NoError(t, err)
	assert.Equal(t, replaced[secretTLSCert], onDisk)
}

// shortLivedCA is a CA that expires in 100 days.
func shortLivedCA(t *testing.T) (map[string][]byte, error) {
	t.Helper()
	saved := caLifetime
	caLifetime = 100 * 24 * time.Hour
	defer func() { caLifetime = saved }()
	return renewCertificate(nil, []string{"localhost"})
}
