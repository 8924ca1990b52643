SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;
SET default_tablespace = '';
SET default_table_access_method = heap;
CREATE TABLE public.activity (
    id integer NOT NULL,
    kind character varying(16) NOT NULL,
    subject character varying(255) NOT NULL,
    body text,
    occurred_at timestamp with time zone NOT NULL,
    company_id integer,
    owner_id integer,
    search_key character varying(512) NOT NULL,
    tenant_id integer NOT NULL,
    deleted_at timestamp with time zone,
    deleted_by character varying(255),
    deletion_unit character varying(36),
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.activity_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.activity_id_seq OWNED BY public.activity.id;
CREATE TABLE public.activity_participant (
    activity_id integer NOT NULL,
    contact_id integer NOT NULL
);
CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);
CREATE TABLE public.attachment (
    id integer NOT NULL,
    owner_type character varying(64) NOT NULL,
    owner_id integer NOT NULL,
    filename character varying(255) NOT NULL,
    content_type character varying(127) NOT NULL,
    size integer NOT NULL,
    sha256 character varying(64) NOT NULL,
    storage_key character varying(64) NOT NULL,
    uploaded_by_id integer,
    created_at timestamp with time zone NOT NULL,
    tenant_id integer NOT NULL,
    deleted_at timestamp with time zone,
    deleted_by character varying(255),
    deletion_unit character varying(36)
);
CREATE SEQUENCE public.attachment_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.attachment_id_seq OWNED BY public.attachment.id;
CREATE TABLE public.company (
    id integer NOT NULL,
    name character varying(255) NOT NULL,
    vat_id character varying(32),
    website character varying(255),
    phone character varying(64),
    address text,
    notes text,
    search_key character varying(512) NOT NULL,
    tenant_id integer NOT NULL,
    deleted_at timestamp with time zone,
    deleted_by character varying(255),
    deletion_unit character varying(36),
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.company_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.company_id_seq OWNED BY public.company.id;
CREATE TABLE public.contact (
    id integer NOT NULL,
    first_name character varying(128) NOT NULL,
    last_name character varying(128) NOT NULL,
    email character varying(320),
    phone character varying(64),
    company_id integer,
    owner_id integer,
    notes text,
    search_key character varying(768) NOT NULL,
    tenant_id integer NOT NULL,
    deleted_at timestamp with time zone,
    deleted_by character varying(255),
    deletion_unit character varying(36),
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.contact_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.contact_id_seq OWNED BY public.contact.id;
CREATE TABLE public.contact_tag (
    contact_id integer NOT NULL,
    tag_id integer NOT NULL
);
CREATE TABLE public.login_throttle (
    id integer NOT NULL,
    key character varying(64) NOT NULL,
    scope character varying(16) NOT NULL,
    failures integer NOT NULL,
    window_started_at timestamp with time zone NOT NULL,
    locked_until timestamp with time zone
);
CREATE SEQUENCE public.login_throttle_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.login_throttle_id_seq OWNED BY public.login_throttle.id;
CREATE TABLE public.tag (
    id integer NOT NULL,
    name character varying(64) NOT NULL,
    tenant_id integer NOT NULL
);
CREATE SEQUENCE public.tag_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.tag_id_seq OWNED BY public.tag.id;
CREATE TABLE public.tenant (
    id integer NOT NULL,
    slug character varying(63) NOT NULL,
    name character varying(255) NOT NULL,
    time_zone character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE public.tenant_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.tenant_id_seq OWNED BY public.tenant.id;
CREATE TABLE public.tenant_plugin (
    id integer NOT NULL,
    plugin character varying(64) NOT NULL,
    enabled boolean NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    changed_by character varying(255) NOT NULL,
    tenant_id integer NOT NULL
);
CREATE SEQUENCE public.tenant_plugin_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.tenant_plugin_id_seq OWNED BY public.tenant_plugin.id;
CREATE TABLE public.tenant_setting (
    id integer NOT NULL,
    namespace character varying(64) NOT NULL,
    key character varying(64) NOT NULL,
    value json NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    tenant_id integer NOT NULL
);
CREATE SEQUENCE public.tenant_setting_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.tenant_setting_id_seq OWNED BY public.tenant_setting.id;
CREATE TABLE public.user_account (
    id integer NOT NULL,
    tenant_id integer,
    email character varying(320) NOT NULL,
    full_name character varying(255) NOT NULL,
    password_hash character varying(255) NOT NULL,
    role character varying(20) NOT NULL,
    active boolean NOT NULL,
    session_token character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    last_login_at timestamp with time zone
);
CREATE SEQUENCE public.user_account_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.user_account_id_seq OWNED BY public.user_account.id;
ALTER TABLE ONLY public.activity ALTER COLUMN id SET DEFAULT nextval('public.activity_id_seq'::regclass);
ALTER TABLE ONLY public.attachment ALTER COLUMN id SET DEFAULT nextval('public.attachment_id_seq'::regclass);
ALTER TABLE ONLY public.company ALTER COLUMN id SET DEFAULT nextval('public.company_id_seq'::regclass);
ALTER TABLE ONLY public.contact ALTER COLUMN id SET DEFAULT nextval('public.contact_id_seq'::regclass);
ALTER TABLE ONLY public.login_throttle ALTER COLUMN id SET DEFAULT nextval('public.login_throttle_id_seq'::regclass);
ALTER TABLE ONLY public.tag ALTER COLUMN id SET DEFAULT nextval('public.tag_id_seq'::regclass);
ALTER TABLE ONLY public.tenant ALTER COLUMN id SET DEFAULT nextval('public.tenant_id_seq'::regclass);
ALTER TABLE ONLY public.tenant_plugin ALTER COLUMN id SET DEFAULT nextval('public.tenant_plugin_id_seq'::regclass);
ALTER TABLE ONLY public.tenant_setting ALTER COLUMN id SET DEFAULT nextval('public.tenant_setting_id_seq'::regclass);
ALTER TABLE ONLY public.user_account ALTER COLUMN id SET DEFAULT nextval('public.user_account_id_seq'::regclass);
INSERT INTO public.activity VALUES (1, 'note', 'Sestanek', NULL, '2024-05-06 08:30:00+00', 1, NULL, 'sestanek', 1, NULL, NULL, NULL, '2026-12-03 17:22:35.393874+00', '2026-12-03 17:22:35.393877+00');
INSERT INTO public.activity_participant VALUES (1, 1);
INSERT INTO public.activity_participant VALUES (1, 2);
INSERT INTO public.alembic_version VALUES ('core_0002');
INSERT INTO public.company VALUES (1, 'Lipa d.o.o.', NULL, NULL, NULL, NULL, NULL, 'lipa d.o.o.', 1, NULL, NULL, NULL, '2026-12-03 17:22:35.382516+00', '2026-12-03 17:22:35.382519+00');
INSERT INTO public.contact VALUES (1, 'Žiga', 'Zupančič', 'ziga@lipa.si', NULL, 1, NULL, NULL, 'ziga zupancic ziga@lipa.si', 1, NULL, NULL, NULL, '2026-12-03 17:22:35.396138+00', '2026-12-03 17:22:35.396141+00');
INSERT INTO public.contact VALUES (2, 'Špela', 'Černe', 'spela@lipa.si', NULL, 1, NULL, NULL, 'spela cerne spela@lipa.si', 1, NULL, NULL, NULL, '2026-12-03 17:22:35.396142+00', '2026-12-03 17:22:35.396142+00');
INSERT INTO public.contact VALUES (3, 'Info', '', 'info@lipa.si', NULL, 1, NULL, NULL, 'info info@lipa.si', 1, NULL, NULL, NULL, '2026-12-03 17:22:35.396143+00', '2026-12-03 17:22:35.396143+00');
INSERT INTO public.contact VALUES (4, 'Old', 'Trash', 'gone@lipa.si', NULL, NULL, NULL, NULL, 'old trash gone@lipa.si', 1, '2024-01-01 00:00:00+00', NULL, NULL, '2026-12-03 17:22:35.396143+00', '2026-12-03 17:22:35.396144+00');
INSERT INTO public.contact_tag VALUES (1, 1);
INSERT INTO public.contact_tag VALUES (2, 1);
INSERT INTO public.contact_tag VALUES (3, 1);
INSERT INTO public.tag VALUES (1, 'VIP', 1);
INSERT INTO public.tenant VALUES (1, 'staro', 'Staro podjetje d.o.o.', 'Europe/Ljubljana', '2026-12-03 17:22:35.176849+00');
INSERT INTO public.user_account VALUES (1, 1, 'admin@staro.si', 'Ana', 'scrypt:32768:8:1$wvmiNFCUehApcjjv$408a8b72c987eebcf660206ba92f3bb36adb96e24aebf2e7593fadc57ea4099609159fb6f54f96eca202c242e1d3d9ee3694c4666d78daacbcc20c43ea422dd9', 'admin', true, 'sqRi0kwKJBufXpaXDWVIAoMwlgn3_WzeyYCUHHe7B0k', '2026-12-03 17:22:35.364469+00', NULL);
SELECT pg_catalog.setval('public.activity_id_seq', 1, true);
SELECT pg_catalog.setval('public.attachment_id_seq', 1, false);
SELECT pg_catalog.setval('public.company_id_seq', 1, true);
SELECT pg_catalog.setval('public.contact_id_seq', 4, true);
SELECT pg_catalog.setval('public.login_throttle_id_seq', 1, false);
SELECT pg_catalog.setval('public.tag_id_seq', 1, true);
SELECT pg_catalog.setval('public.tenant_id_seq', 1, true);
SELECT pg_catalog.setval('public.tenant_plugin_id_seq', 1, false);
SELECT pg_catalog.setval('public.tenant_setting_id_seq', 1, false);
SELECT pg_catalog.setval('public.user_account_id_seq', 1, true);
ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);
ALTER TABLE ONLY public.activity
    ADD CONSTRAINT pk_activity PRIMARY KEY (id);
ALTER TABLE ONLY public.activity_participant
    ADD CONSTRAINT pk_activity_participant PRIMARY KEY (activity_id, contact_id);
ALTER TABLE ONLY public.attachment
    ADD CONSTRAINT pk_attachment PRIMARY KEY (id);
ALTER TABLE ONLY public.company
    ADD CONSTRAINT pk_company PRIMARY KEY (id);
ALTER TABLE ONLY public.contact
    ADD CONSTRAINT pk_contact PRIMARY KEY (id);
ALTER TABLE ONLY public.contact_tag
    ADD CONSTRAINT pk_contact_tag PRIMARY KEY (contact_id, tag_id);
ALTER TABLE ONLY public.login_throttle
    ADD CONSTRAINT pk_login_throttle PRIMARY KEY (id);
ALTER TABLE ONLY public.tag
    ADD CONSTRAINT pk_tag PRIMARY KEY (id);
ALTER TABLE ONLY public.tenant
    ADD CONSTRAINT pk_tenant PRIMARY KEY (id);
ALTER TABLE ONLY public.tenant_plugin
    ADD CONSTRAINT pk_tenant_plugin PRIMARY KEY (id);
ALTER TABLE ONLY public.tenant_setting
    ADD CONSTRAINT pk_tenant_setting PRIMARY KEY (id);
ALTER TABLE ONLY public.user_account
    ADD CONSTRAINT pk_user_account PRIMARY KEY (id);
ALTER TABLE ONLY public.attachment
    ADD CONSTRAINT uq_attachment_storage_key UNIQUE (storage_key);
ALTER TABLE ONLY public.login_throttle
    ADD CONSTRAINT uq_login_throttle_key UNIQUE (key);
ALTER TABLE ONLY public.tag
    ADD CONSTRAINT uq_tag_tenant_id_name UNIQUE (tenant_id, name);
ALTER TABLE ONLY public.tenant_plugin
    ADD CONSTRAINT uq_tenant_plugin_tenant_id_plugin UNIQUE (tenant_id, plugin);
ALTER TABLE ONLY public.tenant_setting
    ADD CONSTRAINT uq_tenant_setting_tenant_id_namespace_key UNIQUE (tenant_id, namespace, key);
ALTER TABLE ONLY public.tenant
    ADD CONSTRAINT uq_tenant_slug UNIQUE (slug);
ALTER TABLE ONLY public.user_account
    ADD CONSTRAINT uq_user_account_email UNIQUE (email);
CREATE INDEX ix_activity_company_id ON public.activity USING btree (company_id);
CREATE INDEX ix_activity_deletion_unit ON public.activity USING btree (deletion_unit);
CREATE INDEX ix_activity_owner_id ON public.activity USING btree (owner_id);
CREATE INDEX ix_activity_participant_contact_id ON public.activity_participant USING btree (contact_id);
CREATE INDEX ix_activity_tenant_id ON public.activity USING btree (tenant_id);
CREATE INDEX ix_activity_tenant_occurred_at ON public.activity USING btree (tenant_id, occurred_at);
CREATE INDEX ix_attachment_deletion_unit ON public.attachment USING btree (deletion_unit);
CREATE INDEX ix_attachment_owner ON public.attachment USING btree (tenant_id, owner_type, owner_id);
CREATE INDEX ix_attachment_tenant_id ON public.attachment USING btree (tenant_id);
CREATE INDEX ix_company_deletion_unit ON public.company USING btree (deletion_unit);
CREATE INDEX ix_company_search_key ON public.company USING btree (search_key);
CREATE INDEX ix_company_tenant_id ON public.company USING btree (tenant_id);
CREATE INDEX ix_contact_company_id ON public.contact USING btree (company_id);
CREATE INDEX ix_contact_deletion_unit ON public.contact USING btree (deletion_unit);
CREATE INDEX ix_contact_owner_id ON public.contact USING btree (owner_id);
CREATE INDEX ix_contact_search_key ON public.contact USING btree (search_key);
CREATE INDEX ix_contact_tenant_id ON public.contact USING btree (tenant_id);
CREATE INDEX ix_contact_tenant_last_name ON public.contact USING btree (tenant_id, last_name, first_name);
CREATE INDEX ix_login_throttle_locked_until ON public.login_throttle USING btree (locked_until);
CREATE INDEX ix_tag_tenant_id ON public.tag USING btree (tenant_id);
CREATE INDEX ix_tenant_plugin_tenant_id ON public.tenant_plugin USING btree (tenant_id);
CREATE INDEX ix_tenant_setting_tenant_id ON public.tenant_setting USING btree (tenant_id);
CREATE INDEX ix_user_account_tenant_id ON public.user_account USING btree (tenant_id);
CREATE UNIQUE INDEX uq_contact_tenant_email_live ON public.contact USING btree (tenant_id, email) WHERE (deleted_at IS NULL);
ALTER TABLE ONLY public.activity
    ADD CONSTRAINT fk_activity_company_id_company FOREIGN KEY (company_id) REFERENCES public.company(id) ON DELETE SET NULL;
ALTER TABLE ONLY public.activity
    ADD CONSTRAINT fk_activity_owner_id_user_account FOREIGN KEY (owner_id) REFERENCES public.user_account(id) ON DELETE SET NULL;
ALTER TABLE ONLY public.activity_participant
    ADD CONSTRAINT fk_activity_participant_activity_id_activity FOREIGN KEY (activity_id) REFERENCES public.activity(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.activity_participant
    ADD CONSTRAINT fk_activity_participant_contact_id_contact FOREIGN KEY (contact_id) REFERENCES public.contact(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.activity
    ADD CONSTRAINT fk_activity_tenant_id_tenant FOREIGN KEY (tenant_id) REFERENCES public.tenant(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.attachment
    ADD CONSTRAINT fk_attachment_tenant_id_tenant FOREIGN KEY (tenant_id) REFERENCES public.tenant(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.attachment
    ADD CONSTRAINT fk_attachment_uploaded_by_id_user_account FOREIGN KEY (uploaded_by_id) REFERENCES public.user_account(id) ON DELETE SET NULL;
ALTER TABLE ONLY public.company
    ADD CONSTRAINT fk_company_tenant_id_tenant FOREIGN KEY (tenant_id) REFERENCES public.tenant(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.contact
    ADD CONSTRAINT fk_contact_company_id_company FOREIGN KEY (company_id) REFERENCES public.company(id) ON DELETE SET NULL;
ALTER TABLE ONLY public.contact
    ADD CONSTRAINT fk_contact_owner_id_user_account FOREIGN KEY (owner_id) REFERENCES public.user_account(id) ON DELETE SET NULL;
ALTER TABLE ONLY public.contact_tag
    ADD CONSTRAINT fk_contact_tag_contact_id_contact FOREIGN KEY (contact_id) REFERENCES public.contact(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.contact_tag
    ADD CONSTRAINT fk_contact_tag_tag_id_tag FOREIGN KEY (tag_id) REFERENCES public.tag(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.contact
    ADD CONSTRAINT fk_contact_tenant_id_tenant FOREIGN KEY (tenant_id) REFERENCES public.tenant(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.tag
    ADD CONSTRAINT fk_tag_tenant_id_tenant FOREIGN KEY (tenant_id) REFERENCES public.tenant(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.tenant_plugin
    ADD CONSTRAINT fk_tenant_plugin_tenant_id_tenant FOREIGN KEY (tenant_id) REFERENCES public.tenant(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.tenant_setting
    ADD CONSTRAINT fk_tenant_setting_tenant_id_tenant FOREIGN KEY (tenant_id) REFERENCES public.tenant(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.user_account
    ADD CONSTRAINT fk_user_account_tenant_id_tenant FOREIGN KEY (tenant_id) REFERENCES public.tenant(id) ON DELETE CASCADE;
