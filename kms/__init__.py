"""The embedded KMS (the AWS KMS API). Never imports objstore."""
