BEGIN TRANSACTION;
CREATE TABLE activity (
	id INTEGER NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	subject VARCHAR(255) NOT NULL, 
	body TEXT, 
	occurred_at DATETIME NOT NULL, 
	company_id INTEGER, 
	owner_id INTEGER, 
	search_key VARCHAR(512) NOT NULL, 
	tenant_id INTEGER NOT NULL, 
	deleted_at DATETIME, 
	deleted_by VARCHAR(255), 
	deletion_unit VARCHAR(36), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_activity PRIMARY KEY (id), 
	CONSTRAINT fk_activity_company_id_company FOREIGN KEY(company_id) REFERENCES company (id) ON DELETE SET NULL, 
	CONSTRAINT fk_activity_owner_id_user_account FOREIGN KEY(owner_id) REFERENCES user_account (id) ON DELETE SET NULL, 
	CONSTRAINT fk_activity_tenant_id_tenant FOREIGN KEY(tenant_id) REFERENCES tenant (id) ON DELETE CASCADE
);
INSERT INTO "activity" VALUES(1,'note','Sestanek',NULL,'2024-05-06 08:30:00.000000',1,NULL,'sestanek',1,NULL,NULL,NULL,'2026-12-03 17:22:33.237123','2026-12-03 17:22:33.237126');
CREATE TABLE activity_participant (
	activity_id INTEGER NOT NULL, 
	contact_id INTEGER NOT NULL, 
	CONSTRAINT pk_activity_participant PRIMARY KEY (activity_id, contact_id), 
	CONSTRAINT fk_activity_participant_activity_id_activity FOREIGN KEY(activity_id) REFERENCES activity (id) ON DELETE CASCADE, 
	CONSTRAINT fk_activity_participant_contact_id_contact FOREIGN KEY(contact_id) REFERENCES contact (id) ON DELETE CASCADE
);
INSERT INTO "activity_participant" VALUES(1,1);
INSERT INTO "activity_participant" VALUES(1,2);
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO "alembic_version" VALUES('core_0002');
CREATE TABLE attachment (
	id INTEGER NOT NULL, 
	owner_type VARCHAR(64) NOT NULL, 
	owner_id INTEGER NOT NULL, 
	filename VARCHAR(255) NOT NULL, 
	content_type VARCHAR(127) NOT NULL, 
	size INTEGER NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	storage_key VARCHAR(64) NOT NULL, 
	uploaded_by_id INTEGER, 
	created_at DATETIME NOT NULL, 
	tenant_id INTEGER NOT NULL, 
	deleted_at DATETIME, 
	deleted_by VARCHAR(255), 
	deletion_unit VARCHAR(36), 
	CONSTRAINT pk_attachment PRIMARY KEY (id), 
	CONSTRAINT fk_attachment_tenant_id_tenant FOREIGN KEY(tenant_id) REFERENCES tenant (id) ON DELETE CASCADE, 
	CONSTRAINT fk_attachment_uploaded_by_id_user_account FOREIGN KEY(uploaded_by_id) REFERENCES user_account (id) ON DELETE SET NULL, 
	CONSTRAINT uq_attachment_storage_key UNIQUE (storage_key)
);
CREATE TABLE company (
	id INTEGER NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	vat_id VARCHAR(32), 
	website VARCHAR(255), 
	phone VARCHAR(64), 
	address TEXT, 
	notes TEXT, 
	search_key VARCHAR(512) NOT NULL, 
	tenant_id INTEGER NOT NULL, 
	deleted_at DATETIME, 
	deleted_by VARCHAR(255), 
	deletion_unit VARCHAR(36), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_company PRIMARY KEY (id), 
	CONSTRAINT fk_company_tenant_id_tenant FOREIGN KEY(tenant_id) REFERENCES tenant (id) ON DELETE CASCADE
);
INSERT INTO "company" VALUES(1,'Lipa d.o.o.',NULL,NULL,NULL,NULL,NULL,'lipa d.o.o.',1,NULL,NULL,NULL,'2026-12-03 17:22:33.231043','2026-12-03 17:22:33.231047');
CREATE TABLE contact (
	id INTEGER NOT NULL, 
	first_name VARCHAR(128) NOT NULL, 
	last_name VARCHAR(128) NOT NULL, 
	email VARCHAR(320), 
	phone VARCHAR(64), 
	company_id INTEGER, 
	owner_id INTEGER, 
	notes TEXT, 
	search_key VARCHAR(768) NOT NULL, 
	tenant_id INTEGER NOT NULL, 
	deleted_at DATETIME, 
	deleted_by VARCHAR(255), 
	deletion_unit VARCHAR(36), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_contact PRIMARY KEY (id), 
	CONSTRAINT fk_contact_company_id_company FOREIGN KEY(company_id) REFERENCES company (id) ON DELETE SET NULL, 
	CONSTRAINT fk_contact_owner_id_user_account FOREIGN KEY(owner_id) REFERENCES user_account (id) ON DELETE SET NULL, 
	CONSTRAINT fk_contact_tenant_id_tenant FOREIGN KEY(tenant_id) REFERENCES tenant (id) ON DELETE CASCADE
);
INSERT INTO "contact" VALUES(1,'Žiga','Zupančič','ziga@lipa.si',NULL,1,NULL,NULL,'ziga zupancic ziga@lipa.si',1,NULL,NULL,NULL,'2026-12-03 17:22:33.238155','2026-12-03 17:22:33.238157');
INSERT INTO "contact" VALUES(2,'Špela','Černe','spela@lipa.si',NULL,1,NULL,NULL,'spela cerne spela@lipa.si',1,NULL,NULL,NULL,'2026-12-03 17:22:33.238158','2026-12-03 17:22:33.238158');
INSERT INTO "contact" VALUES(3,'Info','','info@lipa.si',NULL,1,NULL,NULL,'info info@lipa.si',1,NULL,NULL,NULL,'2026-12-03 17:22:33.238159','2026-12-03 17:22:33.238159');
INSERT INTO "contact" VALUES(4,'Old','Trash','gone@lipa.si',NULL,NULL,NULL,NULL,'old trash gone@lipa.si',1,'2024-01-01 00:00:00.000000',NULL,NULL,'2026-12-03 17:22:33.238160','2026-12-03 17:22:33.238160');
CREATE TABLE contact_tag (
	contact_id INTEGER NOT NULL, 
	tag_id INTEGER NOT NULL, 
	CONSTRAINT pk_contact_tag PRIMARY KEY (contact_id, tag_id), 
	CONSTRAINT fk_contact_tag_contact_id_contact FOREIGN KEY(contact_id) REFERENCES contact (id) ON DELETE CASCADE, 
	CONSTRAINT fk_contact_tag_tag_id_tag FOREIGN KEY(tag_id) REFERENCES tag (id) ON DELETE CASCADE
);
INSERT INTO "contact_tag" VALUES(3,1);
INSERT INTO "contact_tag" VALUES(2,1);
INSERT INTO "contact_tag" VALUES(1,1);
CREATE TABLE login_throttle (
	id INTEGER NOT NULL, 
	"key" VARCHAR(64) NOT NULL, 
	scope VARCHAR(16) NOT NULL, 
	failures INTEGER NOT NULL, 
	window_started_at DATETIME NOT NULL, 
	locked_until DATETIME, 
	CONSTRAINT pk_login_throttle PRIMARY KEY (id), 
	CONSTRAINT uq_login_throttle_key UNIQUE ("key")
);
CREATE TABLE tag (
	id INTEGER NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	tenant_id INTEGER NOT NULL, 
	CONSTRAINT pk_tag PRIMARY KEY (id), 
	CONSTRAINT fk_tag_tenant_id_tenant FOREIGN KEY(tenant_id) REFERENCES tenant (id) ON DELETE CASCADE, 
	CONSTRAINT uq_tag_tenant_id_name UNIQUE (tenant_id, name)
);
INSERT INTO "tag" VALUES(1,'VIP',1);
CREATE TABLE tenant (
	id INTEGER NOT NULL, 
	slug VARCHAR(63) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	time_zone VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_tenant PRIMARY KEY (id), 
	CONSTRAINT uq_tenant_slug UNIQUE (slug)
);
INSERT INTO "tenant" VALUES(1,'staro','Staro podjetje d.o.o.','Europe/Ljubljana','2026-12-03 17:22:33.041003');
CREATE TABLE tenant_plugin (
	id INTEGER NOT NULL, 
	plugin VARCHAR(64) NOT NULL, 
	enabled BOOLEAN NOT NULL, 
	changed_at DATETIME NOT NULL, 
	changed_by VARCHAR(255) NOT NULL, 
	tenant_id INTEGER NOT NULL, 
	CONSTRAINT pk_tenant_plugin PRIMARY KEY (id), 
	CONSTRAINT fk_tenant_plugin_tenant_id_tenant FOREIGN KEY(tenant_id) REFERENCES tenant (id) ON DELETE CASCADE, 
	CONSTRAINT uq_tenant_plugin_tenant_id_plugin UNIQUE (tenant_id, plugin)
);
CREATE TABLE tenant_setting (
	id INTEGER NOT NULL, 
	namespace VARCHAR(64) NOT NULL, 
	"key" VARCHAR(64) NOT NULL, 
	value JSON NOT NULL, 
	changed_at DATETIME NOT NULL, 
	tenant_id INTEGER NOT NULL, 
	CONSTRAINT pk_tenant_setting PRIMARY KEY (id), 
	CONSTRAINT fk_tenant_setting_tenant_id_tenant FOREIGN KEY(tenant_id) REFERENCES tenant (id) ON DELETE CASCADE, 
	CONSTRAINT uq_tenant_setting_tenant_id_namespace_key UNIQUE (tenant_id, namespace, "key")
);
CREATE TABLE user_account (
	id INTEGER NOT NULL, 
	tenant_id INTEGER, 
	email VARCHAR(320) NOT NULL, 
	full_name VARCHAR(255) NOT NULL, 
	password_hash VARCHAR(255) NOT NULL, 
	role VARCHAR(20) NOT NULL, 
	active BOOLEAN NOT NULL, 
	session_token VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	last_login_at DATETIME, 
	CONSTRAINT pk_user_account PRIMARY KEY (id), 
	CONSTRAINT fk_user_account_tenant_id_tenant FOREIGN KEY(tenant_id) REFERENCES tenant (id) ON DELETE CASCADE, 
	CONSTRAINT uq_user_account_email UNIQUE (email)
);
INSERT INTO "user_account" VALUES(1,1,'admin@staro.si','Ana','scrypt:32768:8:1$z1qA68jrOdVcEdgZ$facf2739524d021230d01621c21ce6b0fbce9b7bad533b2b3e2d1756e4db24b682ff50159aa4aa9978d1a69cd9beef9b2343fa34c44ad1ed70edcc1b99cfd96a','admin',1,'6mPITKrOvPV94KEAsuSK7y9qHlj2qSxYeY3ysE9BRus','2026-12-03 17:22:33.210857',NULL);
CREATE INDEX ix_company_deletion_unit ON company (deletion_unit);
CREATE INDEX ix_company_search_key ON company (search_key);
CREATE INDEX ix_company_tenant_id ON company (tenant_id);
CREATE INDEX ix_tag_tenant_id ON tag (tenant_id);
CREATE INDEX ix_tenant_plugin_tenant_id ON tenant_plugin (tenant_id);
CREATE INDEX ix_tenant_setting_tenant_id ON tenant_setting (tenant_id);
CREATE INDEX ix_user_account_tenant_id ON user_account (tenant_id);
CREATE INDEX ix_activity_company_id ON activity (company_id);
CREATE INDEX ix_activity_deletion_unit ON activity (deletion_unit);
CREATE INDEX ix_activity_owner_id ON activity (owner_id);
CREATE INDEX ix_activity_tenant_id ON activity (tenant_id);
CREATE INDEX ix_activity_tenant_occurred_at ON activity (tenant_id, occurred_at);
CREATE INDEX ix_attachment_deletion_unit ON attachment (deletion_unit);
CREATE INDEX ix_attachment_owner ON attachment (tenant_id, owner_type, owner_id);
CREATE INDEX ix_attachment_tenant_id ON attachment (tenant_id);
CREATE INDEX ix_contact_company_id ON contact (company_id);
CREATE INDEX ix_contact_deletion_unit ON contact (deletion_unit);
CREATE INDEX ix_contact_owner_id ON contact (owner_id);
CREATE INDEX ix_contact_search_key ON contact (search_key);
CREATE INDEX ix_contact_tenant_id ON contact (tenant_id);
CREATE INDEX ix_contact_tenant_last_name ON contact (tenant_id, last_name, first_name);
CREATE UNIQUE INDEX uq_contact_tenant_email_live ON contact (tenant_id, email) WHERE deleted_at IS NULL;
CREATE INDEX ix_activity_participant_contact_id ON activity_participant (contact_id);
CREATE INDEX ix_login_throttle_locked_until ON login_throttle (locked_until);
COMMIT;
